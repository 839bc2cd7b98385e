/* libFuzzer harness: random banners through the matchers of a small probe file and every built-in
 * parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/builtin.h"
#include "detect/match.h"
#include "detect/probes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Written for this harness: groups, templates of every kind, flags and fallbacks. */
static const char probe_text[] =
    "Probe TCP NULL q||\n"
    "match ssh m|^SSH-([\\d.]+)-([^\\r\\n_ ]+)_([\\w._-]+)| p/$2/ v/$3/ i/protocol $1/ "
    "cpe:/a:x:$2:$3/a\n"
    "softmatch ftp m|^220[ -](.*)|i i/$P(1)/\n"
    "match ftp m|^220 .*?(\\w+)FTPd? ([\\d.]+)|si p/$1/ v/$SUBST(2,\".\",\"_\")/\n"
    "match bin m|^\\x01(.)(..)(....)(.{0,9})|s v/$I(1,\">\").$I(2,\"<\").$I(3,\">\").$I(4,\"<\")/ "
    "h/$P(4)/\n"
    "match greedy m|^(.*)(.*)(.*)(a+)+$|s i/$1$2$3$4$5$6$7$8$9/\n"
    "Probe TCP GetRequest q|GET / HTTP/1.0\\r\\n\\r\\n|\n"
    "fallback NULL\n"
    "match http m|^HTTP/1\\.[01] (\\d\\d\\d).*\\r\\nServer: ([^/\\r\\n]+)/?([^\\r\\n]*)|s p/$2/ "
    "v/$3/ i/status $1/ "
    "o/$SUBST(3,\"(\",\"\")/ d/$P(2)/\n"
    "Probe UDP DNS q|\\0\\x06|\n"
    "match dns m|^\\0\\x06(.*)|s i/$P(1)/\n";

static struct probes_file pf;
static struct match_ctx *mc;

static void check(const struct detect_service *svc)
{
	if (strlen(svc->name) >= sizeof(svc->name) ||
	    strlen(svc->product) >= sizeof(svc->product) ||
	    strlen(svc->version) >= sizeof(svc->version) ||
	    strlen(svc->extrainfo) >= sizeof(svc->extrainfo) ||
	    strlen(svc->cpe) >= sizeof(svc->cpe))
		abort();
	for (const char *c = svc->version; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			abort(); /* templates give printable text only */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct detect_service svc;

	if (!mc) {
		mc = match_ctx_new();
		probes_init(&pf, NULL, NULL);
		if (!mc || probes_parse_buf(&pf, probe_text, sizeof(probe_text) - 1) < 0 ||
		    pf.nerrors)
			abort();
	}
	for (size_t i = 0; i < pf.n; i++) {
		memset(&svc, 0, sizeof(svc));
		if (match_probe(mc, &pf, &pf.probes[i], data, size, &svc) > 0) {
			if (!svc.name[0])
				abort();
			check(&svc);
		}
	}
	for (size_t i = 0; i < builtin_nprobes; i++) {
		int rc;

		memset(&svc, 0, sizeof(svc));
		rc = builtin_probes[i].parse(data, size, &svc);
		if (rc != BUILTIN_NO && rc != BUILTIN_YES && rc != BUILTIN_MORE)
			abort();
		if (rc == BUILTIN_YES && !svc.name[0])
			abort();
		check(&svc);
	}
	memset(&svc, 0, sizeof(svc));
	builtin_parse_banner(data, size, &svc);
	check(&svc);
	return 0;
}
