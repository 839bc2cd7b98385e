/*
 * The built-in risk catalogue: what exposing a port is known to risk, with a
 * citation (CVE, advisory, RFC or vendor document) and what to do about it.
 * The table is sorted by port then protocol.
 * Example: kb_risks_for(445, KB_PROTO_TCP, r, 4) returns 1 with r[0]->service "smb".
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum kb_severity {
	KB_SEV_INFO,
	KB_SEV_LOW,
	KB_SEV_MEDIUM,
	KB_SEV_HIGH,
};

struct kb_risk {
	uint16_t port;
	uint8_t proto;    /* enum kb_proto */
	uint8_t severity; /* enum kb_severity */
	const char *service;
	const char *note;           /* the risk, one sentence */
	const char *citation;       /* CVE, advisory, RFC or vendor document */
	const char *recommendation; /* what to do */
};

/* "info", "low", "medium", "high"; NULL for an unknown value. */
const char *kb_severity_name(int sev);

/* The whole table; *n gets its length. */
const struct kb_risk *kb_risk_table(size_t *n);

/*
 * Entries for port and proto (proto < 0: any protocol). Stores up to max in
 * out and returns the total number of matches.
 */
size_t kb_risks_for(uint16_t port, int proto, const struct kb_risk **out, size_t max);
