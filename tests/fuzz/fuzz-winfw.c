/*
 * libFuzzer harness: winfw_eval on arbitrary Windows Firewall rules (their
 * LocalPorts lists, addresses, programs and services are whatever an installer
 * wrote), checking the verdict's invariants. Input: one line of profile bits
 * and the query, then one rule per line,
 *   "CURRENT ENABLED BLOCKALL DENY PROTO PORT\n"
 *   "FLAGS|PROTO|PORTS|REMOTE|PROFILES|APP|SERVICE|OTHER\n" ...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/winfw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RULES 32

/* The next '|'-separated field of *s into out (cut to len), advancing *s. */
static void field(char **s, char *out, size_t len)
{
	size_t n = strcspn(*s, "|");

	snprintf(out, len, "%.*s", (int)n, *s);
	*s += n + ((*s)[n] == '|');
}

static void parse_rule(char *line, struct winfw_rule *r)
{
	char num[16];
	unsigned long flags;

	memset(r, 0, sizeof(*r));
	field(&line, num, sizeof(num));
	flags = strtoul(num, NULL, 10);
	r->enabled = flags & 1;
	r->inbound = flags & 2;
	r->allow = flags & 4;
	snprintf(r->name, sizeof(r->name), "r%lu", flags);
	field(&line, num, sizeof(num));
	r->protocol = (int)strtol(num, NULL, 10);
	field(&line, r->local_ports, sizeof(r->local_ports));
	field(&line, r->remote_addrs, sizeof(r->remote_addrs));
	field(&line, num, sizeof(num));
	r->profiles = strtol(num, NULL, 10);
	field(&line, r->app, sizeof(r->app));
	field(&line, r->service, sizeof(r->service));
	field(&line, r->other, sizeof(r->other));
}

static void check(const struct winfw_policy *p, const struct winfw_query *q)
{
	struct winfw_verdict v;

	if (winfw_eval(p, q, &v) < 0)
		return;
	if (v.result != WINFW_ACCEPTED && v.result != WINFW_BLOCKED && v.result != WINFW_UNKNOWN)
		abort();
	if (!v.by[0] || !memchr(v.by, '\0', sizeof(v.by)) ||
	    !memchr(v.sources, '\0', sizeof(v.sources)))
		abort(); /* a verdict always says what decided, terminated */
	if (v.restricted && (v.result != WINFW_ACCEPTED || !v.sources[0]))
		abort(); /* restricted only when accepted, from the sources named */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct winfw_rule *rules = calloc(MAX_RULES, sizeof(*rules));
	char *s = malloc(size + 1), *line, *save = NULL;
	struct winfw_policy p = {0};
	unsigned cur = 0, en = 0, all = 0, deny = 0, proto = 6, port = 0;

	if (!rules || !s)
		goto out;
	memcpy(s, data, size);
	s[size] = '\0';
	line = strtok_r(s, "\n", &save);
	if (!line || sscanf(line, "%u %u %u %u %u %u", &cur, &en, &all, &deny, &proto, &port) < 1)
		goto out;
	p.current = cur;
	for (int i = 0; i < 3; i++)
		p.prof[i] = (struct winfw_profile){.enabled = en >> i & 1,
		                                   .block_all = all >> i & 1,
		                                   .default_deny = deny >> i & 1};
	while (p.nrules < MAX_RULES && (line = strtok_r(NULL, "\n", &save)))
		parse_rule(line, &rules[p.nrules++]);
	p.rules = rules;
	/* the owner known, unknown, and with services */
	check(&p, &(struct winfw_query){(int)proto, (uint16_t)port, NULL, NULL});
	check(&p, &(struct winfw_query){(int)proto, (uint16_t)port, "C:\\a.exe", ""});
	check(&p, &(struct winfw_query){(int)proto, (uint16_t)port, "C:\\a.exe", "svc,Other"});
out:
	free(rules);
	free(s);
	return 0;
}
