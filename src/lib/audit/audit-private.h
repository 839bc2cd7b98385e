/* What the audit pipeline's files share (audit.c, local.c); see audit.h. */
#pragma once

#include "audit/audit.h"
#include "scan/result.h"

/* One audit_run(): its configuration, report, and the scans' own sink. */
struct audit_job {
	const struct audit_config *cfg;
	struct audit_report *rep;
	/* local: the listening TCP ports, sorted, and their scan states per own address */
	uint16_t *ports;
	size_t nports;
	uint8_t *states; /* naddrs x nports */
	char *why;
	size_t whylen;
};

/* The next endpoint, zeroed; NULL (rep->overflow set) when there is no room. */
struct audit_endpoint *audit_ep_new(struct audit_report *rep);

/* A connect scan (-T4, one retry) of ts on pl; results to on_port, and to cfg->sink. */
int audit_scan(struct audit_job *j, const struct targetset *ts, const struct portlist *pl,
               void (*on_port)(struct audit_job *j, const struct scan_result *r));

/* Local mode up to exposure: listeners, owners, own addresses, the scan of them. */
int audit_local(struct audit_job *j);

/* The local scan's state of port on own address k; -1 when the port was not scanned. */
int audit_local_state(const struct audit_job *j, uint16_t port, unsigned k);

/* Own address k into e's reach.on; with want_target, the first such address is e's target. */
void audit_reach_add(struct audit_job *j, struct audit_endpoint *e, unsigned k, bool want_target);

/*
 * Local mode: the exposure of every endpoint from the live ruleset and the
 * endpoints DNAT and redirect make (firewall.c). Returns 0 (evaluated), 1 (not
 * evaluated: rep->firewall says why; the scan's exposure stands), or -ENOMEM.
 */
int audit_firewall(struct audit_job *j);

/* The sort order of port lists. */
int audit_cmp_u16(const void *a, const void *b);
