/*
 * Scan output formats as ops structs, one registry (normal, json-lines, xml,
 * grepable). Each format writes one host when the engine reports it done
 * (streamed per host, like nmap), then a trailer at the end.
 *
 *   struct out_stream s = { .fmt = out_format_find("xml"), .f = file, .info = &info };
 *   s.fmt->begin(&s);  for each host: s.fmt->host(&s, h);  s.fmt->end(&s, &summary);
 *
 * Every callback returns 0 or -EIO (write failure) / -ENOMEM; end() always
 * releases the stream's state.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "net/portspec.h"
#include "scan/result.h"

struct detect_result;

/* One port's -sV result. */
struct out_version {
	uint16_t port;
	const struct detect_result *r;
};

/* What every format needs to know about the scan. */
struct out_info {
	const char *version;          /* portscope version */
	const char *args;             /* the command line, as one string */
	const char *scan_type;        /* nmap XML scaninfo type: "connect" */
	int proto;                    /* IPPROTO_TCP */
	const struct portlist *ports; /* NULL: host discovery only (-sn) */
	unsigned verbose;       /* -v, -vv: hosts down are listed too; nmap's <verbose level=> */
	unsigned debugging;     /* -d: nmap's <debugging level=> */
	bool discovery;         /* hosts were discovered (no -Pn): some may be down */
	bool open_only;         /* --open */
	bool reason;            /* --reason */
	double start;           /* wall clock, seconds since the epoch */
	const struct kb *kb;    /* service names; NULL: none */
	bool list_only;         /* -sL: the targets are listed, nothing is sent */
	const char *stylesheet; /* XML: the <?xml-stylesheet href=?>; NULL: none */
	const char *status;     /* how the run ended: NULL "complete", "interrupted", … (show) */
	const char *signal;     /* the signal that interrupted the run ("SIGINT"), or NULL */
	/* The name a target was given by (nmap's hostname type="user"), NULL: none. */
	const char *(*hostname)(const void *ctx, const struct target_addr *a);
	const void *hostname_ctx;
	/* -sV: the detection results of the host being written, ascending by port. */
	bool version_scan;                  /* -sV was asked: VERSION columns and fields */
	const struct out_version *versions; /* set by the command before each host */
	size_t nversions;
};

struct out_stream;
struct kb;

/*
 * A format: name, flag and help make its line in `scan --help` and `show
 * --help` and its shell completion (generated from the registry); begin, host
 * and end are required (test-output-out walks the registry and checks them).
 */
struct out_format {
	const char *name; /* "normal", "json-lines", "xml", "grepable" */
	const char *flag; /* "-oN": scan -oN FILE, show -oN */
	const char *ext;  /* file extension for -oA BASE: ".nmap" */
	const char *help; /* one line: "nmap XML" */
	int (*begin)(struct out_stream *s);
	int (*host)(struct out_stream *s, const struct scan_host *h);
	int (*end)(struct out_stream *s, const struct scan_summary *sum);
};

struct out_stream {
	const struct out_format *fmt;
	FILE *f;
	const struct out_info *info;
	bool color;       /* colour escapes: this stream is a terminal (and colour is on) */
	bool interactive; /* the screen (normal output on stdout): no '#' comment lines */
	void *state;      /* the format's own, set by begin, freed by end */
};

/* The registry, NULL-terminated. */
extern const struct out_format *const out_formats[];

/* The format with this name or flag ("xml", "-oX"), or NULL. */
const struct out_format *out_format_find(const char *name_or_flag);

extern const struct out_format out_normal, out_jsonl, out_xml, out_grepable;

/*
 * The states whose ports are left out of the port lists ("Not shown: …"), as
 * nmap decides them: every state but open with more than 25 ports, and with
 * --open every state but open. Open is never hidden, however many ports are
 * open. A set: bit (1u << state); 0 when every port is listed.
 */
unsigned out_hidden_states(const struct scan_host *h, bool open_only);

/*
 * The most common of those (SCAN_PENDING: none), the one count the history
 * keeps per host instead of rows.
 */
enum scan_state out_hidden_state(const struct scan_host *h, bool open_only);

/* Whether port entry i of h is listed (decided, not hidden, open when open_only). */
bool out_port_shown(const struct scan_host *h, size_t i, unsigned hidden, bool open_only);

/* How many of a host's ports in one state had one reason. */
struct out_reason_count {
	enum scan_reason reason;
	uint64_t count;
};

/*
 * The reasons of h's ports in state st, most common first (ties by reason
 * number), as nmap's "Not shown" and <extrareasons> list them. rc has room
 * for SCAN_REASON_MAX entries. Returns how many were filled.
 */
size_t out_reasons(const struct scan_host *h, enum scan_state st,
                   struct out_reason_count rc[SCAN_REASON_MAX]);

/*
 * The ports of h in state st with reason r as ranges ("1-21,23-79"), as
 * nmap's <extrareasons ports=>, in a new string (NULL: no memory).
 */
char *out_ports_where(const struct scan_host *h, enum scan_state st, enum scan_reason r);

/* Formats a port list as ranges, "1-21,23,80", into a new string ("" for none; NULL: no memory). */
char *out_port_ranges(const struct portlist *pl);

/* Protocol name: "tcp", "udp". */
const char *out_proto_name(int proto);

/* Formats a wall-clock time like ctime() without the newline ("Tue Nov 24 10:10:00 2026"). */
const char *out_ctime(double t, char *buf, size_t len);

/* The name host h was given by (h->name, else in->hostname), or NULL. */
const char *out_hostname(const struct out_info *in, const struct scan_host *h);

/* The TTL of the reply that decided port entry i of h (nmap's reason_ttl); 0 when none. */
uint8_t out_port_ttl(const struct scan_host *h, size_t i);

/* "complete", or in->status. */
const char *out_status_name(const struct out_info *in);

/* The name of why h is up or down ("arp-response", "user-set", "no-response" …). */
const char *out_host_reason(const struct scan_host *h);

/* Whether host h is written at all: up, or down with -v (nmap leaves the down ones out). */
bool out_host_listed(const struct out_info *in, const struct scan_host *h);

/* Formats a MAC address as nmap does, "02:42:AC:11:00:02", into buf (18 bytes). */
const char *out_mac(const uint8_t mac[6], char *buf, size_t len);

/* "1 IP address (1 host up) scanned in 0.61 seconds" into buf. */
const char *out_done_line(const struct scan_summary *sum, char *buf, size_t len);
