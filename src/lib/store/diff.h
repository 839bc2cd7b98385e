/*
 * What changed between two stored runs, as nmap's ndiff tells it: hosts that
 * appeared, went away, came up or went down; ports whose state changed;
 * services or versions that changed on a port; findings new or fixed.
 *
 * A port is compared only where both runs know its state: a row in the run,
 * or the host's "not shown" state for a scanned port without a row. Ports one
 * run did not scan are not differences, nor is a host missing from a run that
 * did not complete.
 *
 * Example: run 1 has 198.18.0.2 22/tcp open, 80/tcp closed (among 1000 closed);
 * run 2 the same with 80/tcp open: store_diff(st, 1, 2, …) calls back once,
 * {STORE_CH_PORT, "198.18.0.2", tcp, 80, closed -> open}, and returns 1.
 */
#pragma once

#include <stdint.h>

#include "scan/result.h"
#include "store/store.h"

enum store_change_kind {
	STORE_CH_HOST_NEW,  /* in b only */
	STORE_CH_HOST_GONE, /* in a only */
	STORE_CH_HOST_UP,   /* down in a, up in b */
	STORE_CH_HOST_DOWN, /* up in a, down in b */
	STORE_CH_PORT,      /* state changed */
	STORE_CH_SERVICE,   /* same state, other service, product or version */
	STORE_CH_FINDING_NEW,
	STORE_CH_FINDING_FIXED,
	STORE_CH_KIND_MAX,
};

struct store_change {
	enum store_change_kind kind;
	const char *host; /* NULL for a finding about no one host */
	int proto;        /* 0 when not about a port */
	uint16_t port;
	enum scan_state old_state, new_state;  /* STORE_CH_PORT, STORE_CH_SERVICE */
	const char *old_service, *new_service; /* "name product version", NULL when none */
	struct store_change_service {
		const char *name, *product, *version; /* detected (-sV); NULL when unknown */
	} old_svc, new_svc;                           /* the same, field by field */
	const char *check, *severity, *title;         /* findings */
};

/* "host-new", "host-gone", "host-up", "host-down", "port", "service", "finding-new",
 * "finding-fixed". */
const char *store_change_kind_name(int kind);

/*
 * Compares run a (older) with run b (newer), calling cb for each change:
 * host changes, then port changes (by address and port), then findings; cb's strings live only
 * during the call. Stops when cb returns non-zero and returns that value as a negative errno.
 * Returns the number of changes (0: none), or a negative errno: -ENOENT (no such run), -EBADMSG (a
 * malformed stored record).
 */
int64_t store_diff(struct store *st, int64_t a, int64_t b,
                   int (*cb)(void *ctx, const struct store_change *c), void *ctx);

/*
 * The same, keeping only the changes about the host at address host (its
 * host, port and finding changes; a finding about no one host is left out).
 * host NULL: every change, as store_diff().
 */
int64_t store_diff_host(struct store *st, int64_t a, int64_t b, const char *host,
                        int (*cb)(void *ctx, const struct store_change *c), void *ctx);
