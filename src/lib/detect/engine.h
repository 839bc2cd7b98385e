/*
 * The detection engine: given open endpoints, finds out which service answers
 * on each, all endpoints at once (one epoll loop, non-blocking sockets).
 *
 * Per TCP endpoint, the sequence is nmap's, run several connections at a time: the NULL
 * probe (connect and wait for a greeting) starts first; after banner_wait_ms the probes follow,
 * up to probe_parallel connections at once, each on a fresh connection, in this order: built-in
 * probes that list the port, nmap probes that list it (ports/sslports), then built-in and nmap
 * probes by rarity up to the intensity (an nmap probe with a built-in's payload is sent once and
 * judged by both). Every probe up to the intensity is tried unless something matches (nmap
 * does the same; silent_limit can cut a silent endpoint short). An answer is judged by the
 * built-in parser and by the nmap probe's matches, its fallbacks and the NULL probe's; the
 * richer of the two wins, completed from the other (product, version, extra info, CPE).
 * - A hard match with a version ends the endpoint. Without a version, only the probes that may
 *   match the same service still run (nmap's or the built-ins of that service), and the richest
 *   answer is kept: Redis on any port gets its version from INFO.
 * - After a softmatch, only probes that list the port or may match that service hard run, as
 *   nmap's softmatch continuation.
 * - tcpwrapped, as nmap: the NULL probe's connection closed without a byte within the NULL
 *   probe's tcpwrappedms (or tcpwrapped_ms), while none of our probes was in flight; otherwise
 *   it is said only when nothing else answered either.
 * - Once the server has answered a probe, a silent probe waits four times the slowest answer
 *   (at least 500 ms) instead of probe_wait_ms.
 * - A second pass: when the whole plan got no hard match but the server answered or closed
 *   some connections, the probes that got nothing go again two at a time (or, after a partial
 *   answer or softmatch, those that may name it, one at a time): servers with few connection
 *   slots per client (unbound, ngircd) or one connection at a time still answer.
 * - A server that has neither answered nor closed anything yet takes 2 x probe_parallel probes
 *   at once (a silent port ends sooner; the waits stay whole: fork-per-connection servers
 *   such as smbd fall behind when probes time out early).
 * - Built-ins that augment a service (builtin.h: the SNMPv3 engine-id probe) are sent only once
 *   the endpoint is identified as it, and add to its product, as nmap's version scripts do.
 * - A built-in answer never renames nmap's match of the same answer (nmap's http-proxy and ipp
 *   stay, not the built-in's http).
 * Each connection reads at most max_read bytes. UDP endpoints get the UDP probes the same way,
 * without a NULL probe, one datagram per probe.
 *
 * When the answer is TLS ("ssl"), the engine completes a handshake with
 * OpenSSL (no SNI), records the certificate and ALPN, and probes again inside
 * the tunnel: it waits briefly for a greeting (IMAPS, POP3S, SMTPS…), else
 * sends an HTTP GET; what it finds there becomes the service, tunnel "ssl".
 *
 * Outcomes: identified (hard match), soft (softmatch or a parser that knows
 * the service but not the version), unrecognized (answers nothing matched),
 * tcpwrapped (closed right after accept with no data), no-response (silent),
 * refused/port-unreachable. A silent port is never guessed from its number.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "detect/probes.h"
#include "detect/service.h"
#include "detect/tls.h"

struct detect_endpoint {
	struct sockaddr_storage addr; /* address and port to connect to */
	socklen_t addrlen;
	enum probes_proto proto;
};

struct detect_config {
	struct probes_file *pf;      /* nmap-service-probes, or NULL for built-ins only */
	unsigned intensity;          /* 0-9 (nmap --version-intensity), default 7 */
	unsigned max_conns;          /* sockets open at once over all endpoints, default 512 */
	unsigned probe_parallel;     /* probe connections at once per endpoint, default 4 */
	unsigned connect_timeout_ms; /* default 2000 */
	unsigned banner_wait_ms;     /* NULL probe alone before probes start, default 300 */
	unsigned null_wait_ms;  /* how long the NULL probe waits for a greeting, default 2000 */
	unsigned probe_wait_ms; /* deadline of a probe's answer (capped by totalwaitms), default
	                           2000; counted from the NULL probe's end while it is open */
	unsigned idle_ms;       /* silence after some bytes that ends an answer, default 300 */
	unsigned tcpwrapped_ms; /* a close with no data within this is tcpwrapped, default 2000 */
	unsigned endpoint_timeout_ms; /* whole endpoint, default 20000 */
	unsigned silent_limit; /* silent probes (besides NULL) that end a silent endpoint; default
	                          0: none, every probe up to the intensity is tried, as nmap does */
	size_t max_read;       /* bytes read per connection at most, default 65536 */
	bool no_builtin;       /* only nmap-service-probes (for comparisons) */
	bool no_tls;           /* report "ssl" without opening the tunnel */
	struct detect_stats *stats; /* filled by detect_run when not NULL */
};

/* What a run used, to check its bounds. */
struct detect_stats {
	unsigned connections;  /* sockets opened */
	unsigned peak_conns;   /* open at once */
	size_t peak_buffered;  /* bytes of read buffers allocated at once */
	size_t largest_answer; /* bytes kept from one connection */
};

struct detect_result {
	const struct detect_endpoint *ep;
	struct detect_service svc; /* svc.name "" when unknown */
	const char *method;        /* "probed" when identified, else NULL */
	unsigned confidence; /* 10 nmap hard match, 9 built-in, 7 partial, 5 softmatch, 0 unknown */
	const char
	    *reason;           /* "matched" "softmatch" "partial" "unrecognized" "tcpwrapped"
	                          "no-response" "refused" "port-unreachable" "timeout" "excluded" "error" */
	const char *probe;     /* name of the probe whose answer decided, or NULL */
	const char *source;    /* "builtin" or "nmap-service-probes", or NULL */
	const char *tunnel;    /* "ssl" when svc was found inside TLS, else NULL */
	struct detect_tls tls; /* handshake details when TLS was opened (tls.handshake) */
	unsigned probes_sent;  /* connections (TCP) or datagrams (UDP) used */
	unsigned elapsed_ms;
};

/* Called once per endpoint, in completion order; r is valid during the call only. */
typedef void (*detect_sink)(void *ctx, const struct detect_result *r);

/* Fills cfg with the defaults above (pf NULL). */
void detect_config_default(struct detect_config *cfg);

/*
 * Runs detection over eps[0..n) and calls sink once for each. Returns 0, or
 * a negative errno when the engine itself cannot run (epoll, memory); per
 * endpoint failures are results, not errors.
 */
int detect_run(const struct detect_config *cfg, const struct detect_endpoint *eps, size_t n,
               detect_sink sink, void *ctx);

/*
 * Calls each(ctx, probe name, source) for the probes an endpoint proto/port
 * would get, in order ("NULL" first for TCP; source "null", "builtin" or
 * "nmap-service-probes"). An nmap probe with the same payload as a built-in
 * is sent once, as the built-in. Ports in the probe file's Exclude list get
 * nothing at all from detect_run (reason "excluded"). Returns 0 or -ENOMEM.
 */
int detect_plan(const struct detect_config *cfg, enum probes_proto proto, uint16_t port,
                void (*each)(void *ctx, const char *probe, const char *source), void *ctx);

/* Sets ep from a numeric address ("198.18.0.2", "fd00:5c09::2"), port and protocol. Returns 0 or
 * -EINVAL. */
int detect_endpoint_set(struct detect_endpoint *ep, const char *addr, uint16_t port,
                        enum probes_proto proto);

/*
 * Whether detected differs from port_default as services, allowing for the
 * usual aliases (http/www/http-alt, domain/dns, microsoft-ds/netbios-ssn …).
 * Example: detect_mismatch("ssh", "http") is true; ("http", "http-alt") is false.
 */
bool detect_mismatch(const char *detected, const char *port_default);
