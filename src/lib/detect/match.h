/*
 * Matching a response against nmap-service-probes match lines (PCRE2, JIT).
 *
 * Version templates take the regex's groups:
 *   $1 … $9               the group's bytes (non-printable bytes dropped)
 *   $P(3)                 group 3, printable characters only
 *   $SUBST(1,"_",".")     group 1 with every "_" replaced by "."
 *   $I(2,">")             group 2 read as an unsigned big-endian integer ("<": little)
 * Example: m|^SSH-([\d.]+)-OpenSSH_([\w._-]+)| p/OpenSSH/ v/$2/ i/protocol $1/ on
 * "SSH-2.0-OpenSSH_9.2p1 Debian" gives product OpenSSH, version 9.2p1,
 * extrainfo "protocol 2.0".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/probes.h"
#include "detect/service.h"

struct match_ctx; /* PCRE2 match data and JIT stack, one per thread */

/* Returns a new context or NULL (-ENOMEM). */
struct match_ctx *match_ctx_new(void);
void match_ctx_free(struct match_ctx *mc);

/*
 * Compiles m's regex if not done yet (JIT when available). Returns 0, or
 * -EINVAL when PCRE2 rejects the pattern (why gets its message and offset).
 */
int match_compile(struct probes_match *m, char *why, size_t whylen);

/* Frees the compiled regex of m. */
void match_release(struct probes_match *m);

/*
 * Tries m on buf[0..len). Returns 1 and fills svc (name, version fields,
 * cpe; svc->soft for a softmatch), 0 on no match, or a negative errno when
 * the regex cannot compile or the match fails for resource reasons.
 */
int match_try(struct match_ctx *mc, struct probes_match *m, const uint8_t *buf, size_t len,
              struct detect_service *svc);

/*
 * Runs the matches of probe, then its fallbacks, then (for TCP) the NULL
 * probe's, as nmap does. A hard match wins at once; a softmatch is kept and
 * only hard matches for the same service are tried after it.
 * Returns 1 (hard match), 2 (softmatch only), 0 (none) or -ENOMEM.
 */
int match_probe(struct match_ctx *mc, struct probes_file *pf, const struct probes_probe *probe,
                const uint8_t *buf, size_t len, struct detect_service *svc);

/*
 * Expands one version template against the groups of the last match:
 * ov holds ngroups (start, end) offset pairs into subject. Writes a
 * NUL-terminated, printable string of at most outsize-1 bytes. Returns its length.
 */
size_t match_expand(const char *tmpl, const uint8_t *subject, const size_t *ov, unsigned ngroups,
                    char *out, size_t outsize);
