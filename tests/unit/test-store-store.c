/* The history store on real SQLite files: schema, refusal of foreign files, runs, hosts. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "store-helpers.h"
#include "store/db.h"

static size_t read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, len, f);
	fclose(f);
	return n;
}

static void test_create_and_reopen(void **state)
{
	char path[128], why[256];
	struct store *st;
	struct store_run r;
	int64_t id;

	(void)state;
	tmp_db(path, sizeof(path));
	assert_int_equal(store_open(path, STORE_READONLY, &st, why, sizeof(why)), -ENOENT);
	assert_int_equal(store_open(path, 0, &st, why, sizeof(why)), -ENOENT);
	assert_int_equal(store_open(path, STORE_CREATE, &st, why, sizeof(why)), 0);
	assert_int_equal(store_run_begin(st,
	                                 &(struct store_run_info){.kind = "scan",
	                                                          .targets = "198.18.0.2",
	                                                          .ports = "22,80",
	                                                          .proto = IPPROTO_TCP,
	                                                          .start = 5},
	                                 &id),
	                 0);
	assert_int_equal(store_run_end(st, id, NULL, STORE_RUN_COMPLETE), 0);
	assert_int_equal(store_run_end(st, id + 7, NULL, STORE_RUN_COMPLETE), -ENOENT);
	store_close(st);
	assert_int_equal(store_open(path, STORE_READONLY, &st, why, sizeof(why)), 0);
	assert_int_equal(store_run_get(st, id, &r), 0);
	assert_int_equal(r.status, STORE_RUN_COMPLETE);
	assert_string_equal(r.targets, "198.18.0.2");
	assert_string_equal(r.ports, "22,80");
	assert_true(r.end > 0);
	assert_int_equal(store_run_get(st, id + 1, &r), -ENOENT);
	/* Read-only: nothing can be written. */
	assert_int_equal(store_run_begin(st, &(struct store_run_info){.start = 1}, &id), -EACCES);
	store_close(st);
	rm_db(path);
}

/* A file that is not SQLite is refused and left byte for byte as it was. */
static void test_refuse_not_sqlite(void **state)
{
	static const char junk[] = "this is not a database, it is a shopping list\n";
	char path[128], why[256], back[256];
	struct store *st = NULL;
	FILE *f;

	(void)state;
	tmp_db(path, sizeof(path));
	f = fopen(path, "wb");
	assert_non_null(f);
	fwrite(junk, 1, sizeof(junk) - 1, f);
	fclose(f);
	assert_int_equal(store_open(path, STORE_CREATE, &st, why, sizeof(why)), -EBADMSG);
	assert_null(st);
	assert_non_null(strstr(why, "not a portscope history"));
	assert_int_equal(read_file(path, back, sizeof(back)), sizeof(junk) - 1);
	assert_memory_equal(back, junk, sizeof(junk) - 1);
	rm_db(path);
}

/* Another program's SQLite database is refused and not modified. */
static void test_refuse_foreign(void **state)
{
	char path[128], why[256], before[8192], after[8192];
	struct store *st = NULL;
	sqlite3 *db;
	size_t n;

	(void)state;
	tmp_db(path, sizeof(path));
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                              "CREATE TABLE accounts (name TEXT, balance INT);"
	                              "INSERT INTO accounts VALUES ('alice', 10);",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	n = read_file(path, before, sizeof(before));
	assert_int_equal(store_open(path, STORE_CREATE, &st, why, sizeof(why)), -ENOTSUP);
	assert_non_null(strstr(why, "another program"));
	assert_int_equal(store_open(path, STORE_READONLY, &st, why, sizeof(why)), -ENOTSUP);
	assert_int_equal(read_file(path, after, sizeof(after)), n);
	assert_memory_equal(before, after, n);
	rm_db(path);
}

/* A history from a newer portscope is refused, not downgraded. */
static void test_refuse_newer_schema(void **state)
{
	char path[128], why[256];
	struct store *st;
	sqlite3 *db;

	(void)state;
	tmp_db(path, sizeof(path));
	assert_int_equal(store_open(path, STORE_CREATE, &st, why, sizeof(why)), 0);
	store_close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(path, STORE_CREATE, &st, why, sizeof(why)), -ENOTSUP);
	assert_non_null(strstr(why, "newer"));
	rm_db(path);
}

/* A run left running by a process that died; returns its id. */
static int64_t dead_run(const char *path)
{
	int pipefd[2], status;
	int64_t id = 0;
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *cst;

		if (store_open(path, STORE_CREATE, &cst, NULL, 0) == 0 &&
		    store_run_begin(cst, &(struct store_run_info){.targets = "a", .start = 2},
		                    &id) == 0)
			(void)!write(pipefd[1], &id, sizeof(id));
		_exit(0);
	}
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &id, sizeof(id)), (ssize_t)sizeof(id));
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return id;
}

/* A run whose process died without ending it reads as incomplete. */
static void test_killed_run_incomplete(void **state)
{
	char path[128], why[256];
	struct store *st;
	struct store_run r;
	int64_t first, killed;

	(void)state;
	tmp_db(path, sizeof(path));
	assert_int_equal(store_open(path, STORE_CREATE, &st, why, sizeof(why)), 0);
	first = test_record(st, "a", "22", NULL, 0);
	assert_true(first > 0);
	store_close(st);
	killed = dead_run(path); /* dies without store_run_end() or store_close() */
	assert_int_equal(store_open(path, STORE_READONLY, &st, why, sizeof(why)), 0);
	assert_int_equal(store_run_get(st, killed, &r), 0);
	assert_int_equal(r.status, STORE_RUN_INCOMPLETE);
	assert_int_equal(store_run_get(st, first, &r), 0);
	assert_int_equal(r.status, STORE_RUN_COMPLETE);
	store_close(st);
	rm_db(path);
}

/*
 * A checkpoint comes back as it was put (hosts of both families, results),
 * replaces the last, and a killed run is taken over once: a second
 * store_run_resume() finds it running.
 */
static void test_checkpoint_and_resume(void **state)
{
	char path[128], why[256];
	struct target_addr hosts[2] = {{.family = AF_INET}, {.family = AF_INET6}};
	uint8_t res[2 * 3] = {0, 0x12, 0x0f, 0x21, 0, 0};
	struct store_checkpoint cp;
	struct store_run r;
	struct store *st;
	int64_t killed;

	(void)state;
	hosts[0].v4.s_addr = htonl(0xc6120101);
	hosts[1].v6.s6_addr[15] = 9;
	tmp_db(path, sizeof(path));
	killed = dead_run(path);
	assert_int_equal(store_open(path, STORE_CREATE, &st, why, sizeof(why)), 0);
	assert_int_equal(store_checkpoint_get(st, killed, &cp), -ENOENT);
	assert_int_equal(
	    store_checkpoint_put(st, killed, &(struct scan_checkpoint){.hosts_done = 5}), 0);
	assert_int_equal(
	    store_checkpoint_put(
	        st, killed,
	        &(struct scan_checkpoint){
	            .hosts_done = 7, .hosts = hosts, .nhosts = 2, .nports = 3, .res = res}),
	    0);
	assert_int_equal(store_checkpoint_get(st, killed, &cp), 0);
	assert_int_equal(cp.c.hosts_done, 7);
	assert_int_equal(cp.c.nhosts, 2);
	assert_int_equal(cp.c.nports, 3);
	assert_memory_equal(cp.c.hosts, hosts, sizeof(hosts));
	assert_memory_equal(cp.c.res, res, sizeof(res));
	store_checkpoint_free(&cp);
	assert_int_equal(store_run_resume(st, killed), 0);
	assert_int_equal(store_run_get(st, killed, &r), 0);
	assert_int_equal(r.status, STORE_RUN_RUNNING);
	assert_int_equal(store_run_resume(st, killed), -EBUSY);
	/* Stopped by SIGTERM (an evicted pod): continued like a killed one. */
	assert_int_equal(store_run_end(st, killed, NULL, STORE_RUN_INTERRUPTED), 0);
	assert_int_equal(store_run_resume(st, killed), 0);
	assert_int_equal(store_run_get(st, killed, &r), 0);
	assert_int_equal(r.status, STORE_RUN_RUNNING);
	assert_int_equal(store_run_end(st, killed, NULL, STORE_RUN_COMPLETE), 0);
	assert_int_equal(store_run_resume(st, killed), -EALREADY);
	store_close(st);
	rm_db(path);
}

/*
 * The reaper waits for another writer like any write: a writer that commits
 * while the next scan opens the file (after a crash left a running run) must
 * not make that open fail with SQLITE_BUSY, nor say "not an error".
 */
static void test_reap_waits_for_writer(void **state)
{
	char path[128], why[256] = "";
	struct store *st;
	struct store_run r;
	int pipefd[2], status;
	int64_t killed;
	pid_t pid;
	char c;

	(void)state;
	tmp_db(path, sizeof(path));
	assert_int_equal(store_open(path, STORE_CREATE, &st, why, sizeof(why)), 0);
	store_close(st);
	killed = dead_run(path);
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sqlite3 *db;

		if (sqlite3_open(path, &db) != SQLITE_OK ||
		    sqlite3_exec(db, "BEGIN IMMEDIATE; UPDATE runs SET args = 'x'", NULL, NULL,
		                 NULL) != SQLITE_OK)
			_exit(1);
		(void)!write(pipefd[1], "L", 1);
		usleep(300000);
		_exit(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : 1);
	}
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	close(pipefd[0]);
	assert_int_equal(store_open(path, STORE_CREATE, &st, why, sizeof(why)), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(store_run_get(st, killed, &r), 0);
	assert_int_equal(r.status, STORE_RUN_INCOMPLETE);
	assert_null(strstr(why, "not an error"));
	store_close(st);
	rm_db(path);
}

/* A truncated file is refused with what is wrong, and nothing is made beside it. */
static void test_refuse_truncated(void **state)
{
	off_t sizes[4] = {0, 4096, 100, 50}; /* shorter and shorter */
	char path[128], side[160], why[256];
	struct store *st;
	struct stat sb;

	(void)state;
	tmp_db(path, sizeof(path));
	assert_int_equal(store_open(path, STORE_CREATE, &st, why, sizeof(why)), 0);
	for (int i = 0; i < 40; i++)
		assert_true(test_record(st, "a", "22", NULL, 0) > 0);
	store_close(st);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size >= 2 * 4096);
	sizes[0] = sb.st_size - 100; /* the last page cut short */
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_int_equal(truncate(path, sizes[i]), 0);
		for (int ro = 0; ro < 2; ro++) {
			why[0] = '\0';
			assert_int_equal(store_open(path, ro ? STORE_READONLY : STORE_CREATE, &st,
			                            why, sizeof(why)),
			                 -EBADMSG);
			assert_non_null(strstr(why, "truncated"));
			assert_null(strstr(why, "not an error"));
			snprintf(side, sizeof(side), "%s-wal", path);
			assert_int_equal(access(side, F_OK), -1);
			snprintf(side, sizeof(side), "%s-shm", path);
			assert_int_equal(access(side, F_OK), -1);
		}
		assert_int_equal(stat(path, &sb), 0);
		assert_int_equal(sb.st_size, sizes[i]);
	}
	rm_db(path);
}

struct collect {
	size_t n;
	char hosts[8][64];
	uint64_t open[8], closed[8];
	uint8_t res2[8][64];
};

static int collect_host(void *ctx, const struct scan_host *h)
{
	struct collect *c = ctx;

	if (c->n == 8)
		return 1;
	target_addr_str(&h->addr, c->hosts[c->n], sizeof(c->hosts[0]));
	c->open[c->n] = h->counts[SCAN_OPEN];
	c->closed[c->n] = h->counts[SCAN_CLOSED];
	memcpy(c->res2[c->n], h->res, h->nports < 64 ? h->nports : 64);
	c->n++;
	return 0;
}

/* The first column of the first row of sql on the file at path. */
static int db_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int v;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Hosts come back as recorded: order, states, the hidden state's ports restored. */
static void test_hosts_roundtrip(void **state)
{
	static const uint16_t open1[] = {22, 50}, open2[] = {33};
	struct test_host hosts[2];
	struct collect c = {0};
	char path[128], why[256];
	struct store *st;
	int64_t id;

	(void)state;
	test_host_make(&hosts[0], "198.18.0.9", 20, 40, open1, 2);
	test_host_make(&hosts[1], "fd00:5c09::2", 20, 40, open2, 1);
	tmp_db(path, sizeof(path));
	assert_int_equal(store_open(path, STORE_CREATE, &st, why, sizeof(why)), 0);
	id = test_record(st, "198.18.0.9 fd00:5c09::2", "20-59", hosts, 2);
	assert_true(id > 0);
	assert_int_equal(store_hosts(st, id, collect_host, &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.hosts[0], "198.18.0.9");
	assert_string_equal(c.hosts[1], "fd00:5c09::2");
	assert_int_equal(c.open[0], 2);
	assert_int_equal(c.closed[0], 38);
	assert_int_equal(c.open[1], 1);
	assert_int_equal(c.closed[1], 39);
	assert_memory_equal(c.res2[0], hosts[0].res, 40);
	assert_memory_equal(c.res2[1], hosts[1].res, 40);
	store_close(st);
	/* The 38 and 39 closed ports are one count on their host, not rows. */
	assert_int_equal(db_int(path, "SELECT count(*) FROM ports"), 3);
	rm_db(path);
}

/* Thirty open ports stay thirty rows: open is never the host's hidden count. */
static void test_many_open_kept(void **state)
{
	uint16_t open[30];
	struct test_host host;
	struct collect c = {0};
	char path[128], why[256];
	struct store *st;
	int64_t id;

	(void)state;
	for (size_t i = 0; i < 30; i++)
		open[i] = (uint16_t)(100 + i);
	test_host_make(&host, "198.18.0.9", 100, 40, open, 30);
	tmp_db(path, sizeof(path));
	assert_int_equal(store_open(path, STORE_CREATE, &st, why, sizeof(why)), 0);
	id = test_record(st, "198.18.0.9", "100-139", &host, 1);
	assert_true(id > 0);
	assert_int_equal(store_hosts(st, id, collect_host, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.open[0], 30);
	assert_int_equal(c.closed[0], 10);
	store_close(st);
	assert_int_equal(db_int(path, "SELECT count(*) FROM ports WHERE state = 1"), 30);
	assert_int_not_equal(db_int(path, "SELECT extra_state FROM hosts"), SCAN_OPEN);
	rm_db(path);
}

/* A host whose ports were recorded but which never finished comes back as timed out. */
static void test_unfinished_host(void **state)
{
	struct target_addr a = {.family = AF_INET};
	struct collect c = {0};
	char path[128], why[256];
	struct store *st;
	int64_t id;

	(void)state;
	inet_pton(AF_INET, "198.18.0.4", &a.v4);
	tmp_db(path, sizeof(path));
	assert_int_equal(store_open(path, STORE_CREATE, &st, why, sizeof(why)), 0);
	assert_int_equal(
	    store_run_begin(
	        st, &(struct store_run_info){.ports = "20-29", .proto = IPPROTO_TCP, .start = 1},
	        &id),
	    0);
	for (uint16_t p = 20; p < 23; p++)
		assert_int_equal(
		    store_port(st, id,
		               &(struct store_port){.addr = &a,
		                                    .proto = IPPROTO_TCP,
		                                    .port = p,
		                                    .state = p == 21 ? SCAN_OPEN : SCAN_CLOSED}),
		    0);
	assert_int_equal(store_flush(st), 0);
	assert_int_equal(store_hosts(st, id, collect_host, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.hosts[0], "198.18.0.4");
	assert_int_equal(c.open[0], 1);
	assert_int_equal(c.closed[0], 2);
	assert_int_equal(scan_res_state(c.res2[0][5]), SCAN_PENDING);
	store_close(st);
	rm_db(path);
}

struct runs_seen {
	int64_t ids[16];
	size_t n;
};

static int runs_cb(void *ctx, const struct store_run *r)
{
	struct runs_seen *s = ctx;

	s->ids[s->n++] = r->id;
	return s->n == 16;
}

static void test_runs_query(void **state)
{
	static const uint16_t open1[] = {22};
	struct test_host h;
	struct runs_seen s = {0};
	char path[128], why[256];
	struct store *st;
	int64_t a, b, c, prev;

	(void)state;
	test_host_make(&h, "198.18.0.9", 20, 5, open1, 1);
	tmp_db(path, sizeof(path));
	assert_int_equal(store_open(path, STORE_CREATE, &st, why, sizeof(why)), 0);
	a = test_record(st, "198.18.0.0/24", "20-24", &h, 1);
	b = test_record(st, "198.18.5.5", "20-24", NULL, 0);
	c = test_record(st, "198.18.0.0/24", "20-24", &h, 1);
	assert_int_equal(store_runs(st, NULL, runs_cb, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.ids[0], c); /* newest first */
	s.n = 0;
	assert_int_equal(
	    store_runs(st, &(struct store_query){.target = "198.18.0.0/24"}, runs_cb, &s), 0);
	assert_int_equal(s.n, 2);
	s.n = 0;
	/* A host scanned inside a network matches too. */
	assert_int_equal(
	    store_runs(st, &(struct store_query){.target = "198.18.0.9", .limit = 1}, runs_cb, &s),
	    0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ids[0], c);
	s.n = 0;
	assert_int_equal(store_runs(st, &(struct store_query){.target = "198.18.0.0"}, runs_cb, &s),
	                 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(store_run_previous(st, 0, &prev), 0);
	assert_int_equal(prev, c);
	assert_int_equal(store_run_previous(st, c, &prev), 0);
	assert_int_equal(prev, a);
	assert_int_equal(store_run_previous(st, b, &prev), -ENOENT);
	store_close(st);
	rm_db(path);
}

/* A file as portscope's schema 1 wrote it: one audit run with one finding. */
static const char schema1_file[] =
    "CREATE TABLE runs (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, version TEXT, args TEXT,"
    " targets TEXT, ports TEXT, proto INTEGER NOT NULL DEFAULT 0, scan_type TEXT,"
    " start REAL NOT NULL, end REAL, status INTEGER NOT NULL, pid INTEGER, boot_id TEXT,"
    " hosts_total INTEGER, hosts_up INTEGER, hosts_timedout INTEGER, probes_sent INTEGER,"
    " retries INTEGER, elapsed REAL);"
    "CREATE TABLE hosts (id INTEGER PRIMARY KEY,"
    " run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, addr BLOB NOT NULL,"
    " host TEXT NOT NULL, proto INTEGER NOT NULL, up INTEGER NOT NULL,"
    " timedout INTEGER NOT NULL, extra_state INTEGER NOT NULL, extra_reason INTEGER NOT NULL,"
    " srtt_us INTEGER, rttvar_us INTEGER, rto_us INTEGER, start REAL, end REAL,"
    " n_open INTEGER, n_closed INTEGER, n_filtered INTEGER, n_unfiltered INTEGER,"
    " n_open_filtered INTEGER, n_closed_filtered INTEGER, UNIQUE (run, addr, proto));"
    "CREATE TABLE ports (run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " addr BLOB NOT NULL, host TEXT NOT NULL, proto INTEGER NOT NULL, port INTEGER NOT NULL,"
    " state INTEGER NOT NULL, reason INTEGER NOT NULL, rtt_us INTEGER,"
    " service TEXT, product TEXT, version TEXT,"
    " PRIMARY KEY (run, addr, proto, port)) WITHOUT ROWID;"
    "CREATE TABLE findings (id INTEGER PRIMARY KEY,"
    " run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " addr BLOB, host TEXT, proto INTEGER NOT NULL, port INTEGER NOT NULL,"
    " check_id TEXT NOT NULL, severity TEXT, title TEXT, detail TEXT);"
    "CREATE INDEX findings_run ON findings (run);"
    "CREATE INDEX runs_targets ON runs (kind, targets, id);"
    "INSERT INTO runs (kind, targets, start, end, status) VALUES ('audit', '198.18.0.2', 1, 2, 1);"
    "INSERT INTO findings (run, host, proto, port, check_id, severity, title, detail)"
    " VALUES (1, '198.18.0.2', 6, 6379, 'redis-noauth', 'high', 'Redis without auth', 'PONG');"
    "PRAGMA user_version = 1; PRAGMA application_id = 1347634000;";

struct finding_seen {
	size_t n;
	char check[8][32], severity[8][16], rec[8][64], process[8][32];
	int pid[8];
	bool has_rec[8];
};

static int finding_cb(void *ctx, const struct store_finding_row *f)
{
	struct finding_seen *s = ctx;

	if (s->n == 8)
		return 1;
	snprintf(s->check[s->n], sizeof(s->check[0]), "%s", f->check);
	snprintf(s->severity[s->n], sizeof(s->severity[0]), "%s", f->severity ? f->severity : "");
	s->has_rec[s->n] = f->recommendation != NULL;
	snprintf(s->rec[s->n], sizeof(s->rec[0]), "%s", f->recommendation ? f->recommendation : "");
	snprintf(s->process[s->n], sizeof(s->process[0]), "%s", f->process ? f->process : "");
	s->pid[s->n] = f->pid;
	s->n++;
	return 0;
}

/* A schema 1 history is upgraded in place by a writer; its runs and findings are kept. */
static void test_migrate_schema1(void **state)
{
	struct finding_seen seen = {0};
	char path[128], why[256];
	struct store *st;
	struct store_run r;
	sqlite3 *db;

	(void)state;
	tmp_db(path, sizeof(path));
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, schema1_file, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	/* A reader cannot upgrade it, and says how. */
	assert_int_equal(store_open(path, STORE_READONLY, &st, why, sizeof(why)), -EACCES);
	assert_non_null(strstr(why, "schema upgrade"));
	assert_int_equal(store_open(path, STORE_CREATE, &st, why, sizeof(why)), 0);
	assert_int_equal(store_run_get(st, 1, &r), 0);
	assert_string_equal(r.kind, "audit");
	assert_null(r.hostname);
	assert_int_equal(store_findings(st, 1, finding_cb, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.check[0], "redis-noauth");
	assert_false(seen.has_rec[0]);
	assert_int_equal(seen.pid[0], 0);
	store_close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	{
		sqlite3_stmt *s;

		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL),
		                 SQLITE_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(s, 0), STORE_SCHEMA_VERSION);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	rm_db(path);
}

struct ep_seen {
	size_t n;
	char line[8][256];
};

static int ep_cb(void *ctx, const struct store_endpoint_row *e)
{
	struct ep_seen *s = ctx;

	if (s->n == 8)
		return 1;
	snprintf(s->line[s->n], sizeof(s->line[0]),
	         "%s %d/%u %s on=%s by=%s svc=%s/%s/%s def=%s %s %d %s %s", e->host ? e->host : "-",
	         e->proto, e->port, e->exposure, e->reachable_on ? e->reachable_on : "-",
	         e->decided_by ? e->decided_by : "-", e->service ? e->service : "-",
	         e->product ? e->product : "-", e->version ? e->version : "-",
	         e->port_default ? e->port_default : "-", e->mismatch ? "mismatch" : "match",
	         e->pid, e->process ? e->process : "-", e->user ? e->user : "-");
	s->n++;
	return 0;
}

/* Endpoints, findings with fix and owner, the hostname: written, read back, sorted. */
/* Keeps the first host store_fleet() reports, its strings copied. */
struct fleet_seen {
	size_t n;
	struct store_fleet_host h;
	char host[64], scanner[64];
};

static int fleet_cb(void *ctx, const struct store_fleet_host *h)
{
	struct fleet_seen *f = ctx;

	if (f->n++ == 0) {
		f->h = *h;
		snprintf(f->host, sizeof(f->host), "%s", h->host);
		snprintf(f->scanner, sizeof(f->scanner), "%s", h->scanner ? h->scanner : "(null)");
	}
	return 0;
}

static void test_audit_records(void **state)
{
	struct target_addr any = {.family = AF_INET}, lo = {.family = AF_INET};
	struct finding_seen seen = {0};
	struct ep_seen eps = {0};
	char path[128], why[256];
	struct store *st;
	struct store_run r;
	int64_t id;

	(void)state;
	inet_pton(AF_INET, "127.0.0.1", &lo.v4);
	tmp_db(path, sizeof(path));
	assert_int_equal(store_open(path, STORE_CREATE, &st, why, sizeof(why)), 0);
	assert_int_equal(
	    store_run_begin(
	        st, &(struct store_run_info){.kind = "audit", .hostname = "web-1", .start = 10},
	        &id),
	    0);
	assert_int_equal(store_endpoint(st, id,
	                                &(struct store_endpoint){.addr = &any,
	                                                         .proto = IPPROTO_TCP,
	                                                         .port = 80,
	                                                         .exposure = "reachable",
	                                                         .reachable_on = "198.18.0.2",
	                                                         .decided_by = "inet f in handle 5",
	                                                         .service = "ssh",
	                                                         .product = "OpenSSH",
	                                                         .version = "",
	                                                         .port_default = "http",
	                                                         .mismatch = true,
	                                                         .pid = 42,
	                                                         .process = "sshd",
	                                                         .user = "root"}),
	                 0);
	assert_int_equal(store_endpoint(st, id,
	                                &(struct store_endpoint){.addr = &lo,
	                                                         .proto = IPPROTO_UDP,
	                                                         .port = 53,
	                                                         .exposure = "loopback-only",
	                                                         .reachable_on = ""}),
	                 0);
	/* No exposure, or no protocol: refused. */
	assert_int_equal(store_endpoint(st, id, &(struct store_endpoint){.proto = IPPROTO_TCP}),
	                 -EINVAL);
	assert_int_equal(store_endpoint(st, id, &(struct store_endpoint){.exposure = "blocked"}),
	                 -EINVAL);
	{
		static const char *const sev[] = {"info", "high", "low", "medium", "high"};

		for (size_t i = 0; i < 5; i++) {
			char check[16];

			snprintf(check, sizeof(check), "c%zu", i);
			assert_int_equal(
			    store_finding(st, id,
			                  &(struct store_finding){
			                      .addr = &any,
			                      .proto = IPPROTO_TCP,
			                      .port = 80,
			                      .check = check,
			                      .severity = sev[i],
			                      .title = "t",
			                      .recommendation = i == 1 ? "close it" : NULL,
			                      .pid = i == 1 ? 42 : 0,
			                      .process = i == 1 ? "sshd" : NULL,
			                  }),
			    0);
		}
	}
	assert_int_equal(store_run_end(st, id, NULL, STORE_RUN_COMPLETE), 0);
	store_close(st);

	assert_int_equal(store_open(path, STORE_READONLY, &st, why, sizeof(why)), 0);
	assert_int_equal(store_run_get(st, id, &r), 0);
	assert_string_equal(r.hostname, "web-1");
	assert_int_equal(store_endpoints(st, id, ep_cb, &eps), 0);
	assert_int_equal(eps.n, 2);
	assert_string_equal(eps.line[0],
	                    "0.0.0.0 6/80 reachable on=198.18.0.2 by=inet f in handle 5 "
	                    "svc=ssh/OpenSSH/- def=http mismatch 42 sshd root");
	assert_string_equal(eps.line[1], "127.0.0.1 17/53 loopback-only on=- by=- svc=-/-/- def=- "
	                                 "match 0 - -");
	assert_int_equal(store_findings_by_severity(st, id, finding_cb, &seen), 0);
	assert_int_equal(seen.n, 5);
	assert_string_equal(seen.check[0], "c1");
	assert_string_equal(seen.check[1], "c4");
	assert_string_equal(seen.check[2], "c3");
	assert_string_equal(seen.check[3], "c2");
	assert_string_equal(seen.check[4], "c0");
	assert_string_equal(seen.rec[0], "close it");
	assert_string_equal(seen.process[0], "sshd");
	assert_int_equal(seen.pid[0], 42);
	assert_false(seen.has_rec[1]);
	/* A scan run has no endpoints; an unknown run neither. */
	eps.n = 0;
	assert_int_equal(store_endpoints(st, id + 9, ep_cb, &eps), 0);
	assert_int_equal(eps.n, 0);
	/* The fleet (history --hosts): web-1's own audit, its sockets by exposure, findings. */
	{
		struct fleet_seen fl = {0};

		assert_int_equal(store_fleet(st, "audit", fleet_cb, &fl), 0);
		assert_int_equal(fl.n, 1);
		assert_string_equal(fl.host, "web-1");
		assert_string_equal(fl.scanner, "web-1");
		assert_true(fl.h.local && fl.h.up);
		assert_int_equal(fl.h.run, id);
		assert_int_equal(fl.h.runs, 1);
		assert_int_equal(fl.h.open, 2);
		assert_int_equal(fl.h.endpoints, 2);
		assert_int_equal(fl.h.reachable, 1);
		assert_int_equal(fl.h.loopback, 1);
		assert_int_equal(fl.h.blocked, 0);
		assert_int_equal(fl.h.findings[3], 2);
		assert_int_equal(fl.h.findings[2], 1);
		assert_int_equal(fl.h.findings[1], 1);
		assert_int_equal(fl.h.findings[0], 1);
		fl.n = 0;
		assert_int_equal(store_fleet(st, "scan", fleet_cb, &fl), 0);
		assert_int_equal(fl.n, 0);
	}
	store_close(st);
	rm_db(path);
}

static void test_default_path(void **state)
{
	char buf[256];

	(void)state;
	setenv("XDG_STATE_HOME", "/x/state", 1);
	assert_int_equal(store_default_path(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/x/state/portscope/history.db");
	setenv("XDG_STATE_HOME", "relative", 1); /* the spec ignores relative paths */
	setenv("HOME", "/home/u", 1);
	assert_int_equal(store_default_path(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/u/.local/state/portscope/history.db");
	assert_int_equal(store_default_path(buf, 10), -ENAMETOOLONG);
	unsetenv("XDG_STATE_HOME");
	unsetenv("HOME");
	assert_int_equal(store_default_path(buf, sizeof(buf)), -ENOENT);
}

/* Every backend of the registry has every callback; SQLite, last, takes any path. */
static void test_backend_registry(void **state)
{
	size_t n = 0;

	(void)state;
	for (; store_backends[n]; n++) {
		const struct store_backend *b = store_backends[n];

		assert_non_null(b->name);
		assert_true(b->claims && b->open && b->close && b->exec && b->begin && b->commit &&
		            b->rollback && b->in_tx && b->prepare && b->step && b->reset &&
		            b->finalize && b->column_null && b->column_int64 && b->column_double &&
		            b->column_text && b->column_blob && b->changes && b->run_alive &&
		            b->errmsg);
		for (size_t k = 0; k < n; k++)
			assert_string_not_equal(store_backends[k]->name, b->name);
	}
	assert_true(n >= 1);
	assert_ptr_equal(store_backends[n - 1], &store_backend_sqlite);
	assert_ptr_equal(store_backend_for("/tmp/h.db"), &store_backend_sqlite);
	assert_ptr_equal(store_backend_for("history.db"), &store_backend_sqlite);
	assert_ptr_equal(store_backend_for("/tmp/a=b.db"), &store_backend_sqlite);
	assert_ptr_equal(store_backend_for("./host=x"), &store_backend_sqlite);
	assert_ptr_equal(store_backend_for("postgresql://u@h/db"), &store_backend_pg);
	assert_ptr_equal(store_backend_for("postgres:///db?host=/run/pg"), &store_backend_pg);
	assert_ptr_equal(store_backend_for("host=/run/pg dbname=ps"), &store_backend_pg);
	assert_ptr_equal(store_backend_for("dbname = ps"), &store_backend_pg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_and_reopen),
	    cmocka_unit_test(test_refuse_not_sqlite),
	    cmocka_unit_test(test_refuse_foreign),
	    cmocka_unit_test(test_refuse_newer_schema),
	    cmocka_unit_test(test_killed_run_incomplete),
	    cmocka_unit_test(test_reap_waits_for_writer),
	    cmocka_unit_test(test_refuse_truncated),
	    cmocka_unit_test(test_hosts_roundtrip),
	    cmocka_unit_test(test_many_open_kept),
	    cmocka_unit_test(test_unfinished_host),
	    cmocka_unit_test(test_runs_query),
	    cmocka_unit_test(test_migrate_schema1),
	    cmocka_unit_test(test_audit_records),
	    cmocka_unit_test(test_default_path),
	    cmocka_unit_test(test_backend_registry),
	    cmocka_unit_test(test_checkpoint_and_resume),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
