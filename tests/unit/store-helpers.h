/* Shared by test-store-store.c and test-store-diff.c: temp files and scan hosts to record. */
#pragma once

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan/result.h"
#include "store/store.h"

/* A fresh temporary directory's history path, in path (at least 64 bytes). */
static inline void tmp_db(char *path, size_t len)
{
	char dir[] = "/tmp/ps-store-XXXXXX";

	if (!mkdtemp(dir))
		abort();
	snprintf(path, len, "%s/h.db", dir);
}

/* Removes the file, its WAL and shm, and its directory. */
static inline void rm_db(const char *path)
{
	char p[512], *slash;

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s", path);
	slash = strrchr(p, '/');
	*slash = '\0';
	rmdir(p);
}

/* A host of nports consecutive ports from first, all closed but those in open[]. */
struct test_host {
	struct scan_host h;
	uint16_t ports[64];
	uint8_t res[64];
};

static inline void test_host_make(struct test_host *t, const char *addr, uint16_t first,
                                  size_t nports, const uint16_t *open, size_t nopen)
{
	memset(t, 0, sizeof(*t));
	t->h.addr.family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	inet_pton(t->h.addr.family, addr, &t->h.addr.v6);
	t->h.up = true;
	t->h.proto = IPPROTO_TCP;
	t->h.nports = nports;
	t->h.ports = t->ports;
	t->h.res = t->res;
	for (size_t i = 0; i < nports; i++) {
		enum scan_state s = SCAN_CLOSED;
		enum scan_reason r = SCAN_REASON_CONN_REFUSED;

		t->ports[i] = (uint16_t)(first + i);
		for (size_t k = 0; k < nopen; k++)
			if (open[k] == t->ports[i]) {
				s = SCAN_OPEN;
				r = SCAN_REASON_SYN_ACK;
			}
		t->res[i] = scan_res_pack(s, r);
		t->h.counts[s]++;
	}
}

/* Records a complete run of hosts (ports first, as a scan does, then each host). */
static inline int64_t test_record(struct store *st, const char *targets, const char *ports,
                                  struct test_host *hosts, size_t nhosts)
{
	int64_t id = 0;
	struct scan_summary sum = {.hosts_total = nhosts, .hosts_up = nhosts};

	if (store_run_begin(st,
	                    &(struct store_run_info){.kind = "scan",
	                                             .args = "portscope scan test",
	                                             .targets = targets,
	                                             .ports = ports,
	                                             .proto = IPPROTO_TCP,
	                                             .scan_type = "connect",
	                                             .start = 1000},
	                    &id) < 0)
		return -1;
	for (size_t k = 0; k < nhosts; k++) {
		for (size_t i = 0; i < hosts[k].h.nports; i++) {
			struct store_port p = {
			    .addr = &hosts[k].h.addr,
			    .proto = IPPROTO_TCP,
			    .port = hosts[k].ports[i],
			    .state = scan_res_state(hosts[k].res[i]),
			    .reason = scan_res_reason(hosts[k].res[i]),
			};

			if (store_port(st, id, &p) < 0)
				return -1;
		}
		if (store_host(st, id, &hosts[k].h) < 0)
			return -1;
	}
	if (store_run_end(st, id, &sum, STORE_RUN_COMPLETE) < 0)
		return -1;
	return id;
}
