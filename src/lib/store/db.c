/* The statement interface over the backends, and their registry (see db.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "store/store-private.h"

/*
 * The registry: every backend, NULL-terminated. A backend that claims a
 * string comes before SQLite, which takes whatever is left (a path).
 */
const struct store_backend *const store_backends[] = {
    &store_backend_pg,     /* db-pg.c: postgresql://, postgres://, key=value */
    &store_backend_sqlite, /* db-sqlite.c */
    NULL,
};

bool db_pg_claims(const char *where)
{
	size_t n;

	if (strncmp(where, "postgresql://", 13) == 0 || strncmp(where, "postgres://", 11) == 0)
		return true;
	/* A conninfo string starts with keyword=: a path never does in practice. */
	n = strspn(where, "abcdefghijklmnopqrstuvwxyz_");
	while (n && where[n] == ' ')
		n++;
	return n > 0 && where[n] == '=';
}

const struct store_backend *store_backend_for(const char *where)
{
	size_t i;

	for (i = 0; store_backends[i + 1]; i++)
		if (store_backends[i]->claims && store_backends[i]->claims(where))
			return store_backends[i];
	return store_backends[i];
}

int db_prepare(struct store *st, const char *sql, struct db_stmt **out)
{
	*out = NULL;
	return st->be->prepare(st, sql, false, out);
}

int db_prepare_persistent(struct store *st, const char *sql, struct db_stmt **out)
{
	*out = NULL;
	return st->be->prepare(st, sql, true, out);
}

int db_step(struct db_stmt *s)
{
	int r = s->st->be->step(s);

	s->started = true;
	return r;
}

void db_reset(struct db_stmt *s)
{
	s->st->be->reset(s);
	s->started = false;
}

void db_clear_bindings(struct db_stmt *s)
{
	memset(s->param, 0, sizeof(s->param));
	s->nparam = 0;
}

void db_finalize(struct db_stmt *s)
{
	if (s)
		s->st->be->finalize(s);
}

static struct db_value *db_param(struct db_stmt *s, int i)
{
	if (i < 1 || i > DB_MAX_PARAMS)
		return NULL;
	if ((unsigned)i > s->nparam)
		s->nparam = (unsigned)i;
	return &s->param[i - 1];
}

void db_bind_int64(struct db_stmt *s, int i, int64_t v)
{
	struct db_value *p = db_param(s, i);

	if (p)
		*p = (struct db_value){.type = DB_INT, .i = v};
}

void db_bind_double(struct db_stmt *s, int i, double v)
{
	struct db_value *p = db_param(s, i);

	if (p)
		*p = (struct db_value){.type = DB_DOUBLE, .d = v};
}

void db_bind_text(struct db_stmt *s, int i, const char *t)
{
	struct db_value *p = db_param(s, i);

	if (p)
		*p = t ? (struct db_value){.type = DB_TEXT, .p = t, .len = strlen(t)}
		       : (struct db_value){.type = DB_NULL};
}

void db_bind_blob(struct db_stmt *s, int i, const void *v, size_t len)
{
	struct db_value *p = db_param(s, i);

	if (p)
		*p = (struct db_value){.type = DB_BLOB, .p = v, .len = len};
}

void db_bind_null(struct db_stmt *s, int i)
{
	struct db_value *p = db_param(s, i);

	if (p)
		*p = (struct db_value){.type = DB_NULL};
}

bool db_column_null(struct db_stmt *s, int i)
{
	return s->st->be->column_null(s, i);
}

int64_t db_column_int64(struct db_stmt *s, int i)
{
	return s->st->be->column_int64(s, i);
}

int db_column_int(struct db_stmt *s, int i)
{
	int64_t v = s->st->be->column_int64(s, i);

	return v < INT32_MIN ? INT32_MIN : v > INT32_MAX ? INT32_MAX : (int)v;
}

double db_column_double(struct db_stmt *s, int i)
{
	return s->st->be->column_double(s, i);
}

const char *db_column_text(struct db_stmt *s, int i)
{
	return s->st->be->column_text(s, i);
}

const void *db_column_blob(struct db_stmt *s, int i, size_t *len)
{
	return s->st->be->column_blob(s, i, len);
}

int64_t db_changes(struct db_stmt *s)
{
	return s->st->be->changes(s);
}

int db_step_done(struct db_stmt *s)
{
	int r = db_step(s);

	db_reset(s);
	if (r == DB_ROW)
		return -EINVAL; /* a statement that returns rows */
	return r;
}

int db_exec(struct store *st, const char *sql)
{
	return st->be->exec(st, sql);
}

int db_begin(struct store *st, enum db_tx kind)
{
	return st->be->begin(st, kind);
}

int db_commit(struct store *st)
{
	return st->be->commit(st);
}

void db_rollback(struct store *st)
{
	st->be->rollback(st);
}

bool db_in_tx(const struct store *st)
{
	return st->be->in_tx(st);
}
