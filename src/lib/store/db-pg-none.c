/*
 * The PostgreSQL backend where libpq is not built in (the Windows build): it
 * takes the same --db strings as db-pg.c, so that one says why it cannot open
 * them instead of SQLite creating a file named like a URI.
 */
#include <errno.h>
#include <stdio.h>

#include "store/db.h"
#include "store/store-private.h"

static int pg_none_open(struct store *st, const char *where, int flags, char *why, size_t whylen)
{
	(void)st;
	(void)where;
	(void)flags;
	snprintf(why, whylen,
	         "a PostgreSQL history needs libpq, which this build lacks: use a SQLite file");
	return -ENOTSUP;
}

static void pg_none_close(struct store *st)
{
	(void)st;
}

const struct store_backend store_backend_pg = {
    .name = "postgresql",
    .claims = db_pg_claims,
    .open = pg_none_open,
    .close = pg_none_close,
};
