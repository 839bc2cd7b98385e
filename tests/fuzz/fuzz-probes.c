/* libFuzzer harness: the nmap-service-probes parser on arbitrary text, then its regexes on its
 * payloads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/match.h"
#include "detect/probes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct count {
	unsigned n;
};

static void on_error(void *ctx, unsigned line, const char *msg)
{
	struct count *c = ctx;

	if (!msg || !msg[0] || line == 0)
		abort(); /* every error names its line and says why */
	c->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct match_ctx *mc;
	struct probes_file pf;
	struct count errs = {0};
	unsigned matches = 0;

	if (size > 1 << 16)
		return 0;
	if (!mc && !(mc = match_ctx_new()))
		abort();
	probes_init(&pf, on_error, &errs);
	if (probes_parse_buf(&pf, (const char *)data, size) < 0)
		abort();
	if (errs.n < pf.nerrors)
		abort();
	for (size_t i = 0; i < pf.n; i++) {
		const struct probes_probe *p = &pf.probes[i];
		struct detect_service svc;

		if (!p->name || p->rarity < 1 || p->rarity > 9)
			abort();
		for (size_t f = 0; f < p->nfallback; f++)
			if (p->fallback[f] < -1 || p->fallback[f] >= (int)pf.n)
				abort();
		matches += (unsigned)p->nmatches;
		/* match the probe's own payload against its (and its fallbacks') regexes */
		if (match_probe(mc, &pf, p, p->payload, p->payload_len, &svc) > 0 &&
		    (!svc.name[0] || strlen(svc.name) >= sizeof(svc.name)))
			abort();
	}
	if (matches != pf.nmatches)
		abort();
	probes_free(&pf);
	return 0;
}
