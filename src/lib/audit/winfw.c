/* The Windows Firewall's verdict from its profiles and rules (see winfw.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit/winfw.h"

enum match { M_NO, M_YES, M_MAYBE };

static const char *const profile_names[3] = {"Domain", "Private", "Public"};

const char *winfw_profiles_name(long profiles, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (int i = 0; i < 3; i++)
		if ((profiles & (1L << i)) && at < len)
			at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? "," : "",
			                       profile_names[i]);
	return buf;
}

static bool is_any(const char *s)
{
	return s[0] == '\0' || strcmp(s, "*") == 0;
}

/* One port token: "80", "5000-5010". Returns false when it is not numeric. */
static bool port_token(const char *t, size_t n, unsigned long *lo, unsigned long *hi)
{
	char buf[16], *end;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, t, n);
	buf[n] = '\0';
	if (buf[0] < '0' || buf[0] > '9')
		return false;
	*lo = strtoul(buf, &end, 10);
	*hi = *lo;
	if (*end == '-') {
		if (end[1] < '0' || end[1] > '9')
			return false;
		*hi = strtoul(end + 1, &end, 10);
	}
	return *end == '\0' && *lo <= *hi && *hi <= 65535;
}

/* Whether the LocalPorts list covers port; a keyword (RPC, IPHTTPS ...) is MAYBE. */
static enum match ports_match(const char *list, uint16_t port, char *kw, size_t kwlen)
{
	enum match m = M_NO;

	if (is_any(list))
		return M_YES;
	for (const char *t = list; *t;) {
		size_t n = strcspn(t, ",");
		unsigned long lo, hi;

		while (n && *t == ' ')
			t++, n--;
		while (n && t[n - 1] == ' ')
			n--;
		if (port_token(t, n, &lo, &hi)) {
			if (port >= lo && port <= hi)
				return M_YES;
		} else if (n) {
			m = M_MAYBE;
			snprintf(kw, kwlen, "port keyword %.*s", (int)(n < 40 ? n : 40), t);
		}
		t += strcspn(t, ",");
		if (*t == ',')
			t++;
	}
	return m;
}

/* Whether name is in the comma-separated list (case-insensitive). */
static bool in_list(const char *list, const char *name)
{
	size_t len = strlen(name);

	for (const char *t = list; *t;) {
		size_t n = strcspn(t, ",");

		if (n == len && strncasecmp(t, name, n) == 0)
			return true;
		t += n;
		if (*t == ',')
			t++;
	}
	return false;
}

/* Whether rule r applies to q in the profile bit; MAYBE with why when it cannot be told. */
static enum match rule_match(const struct winfw_rule *r, const struct winfw_query *q, long bit,
                             char *why, size_t whylen)
{
	enum match m = M_YES;

	if (!r->enabled || !r->inbound || !(r->profiles & bit))
		return M_NO;
	if (r->protocol != WINFW_PROTO_ANY && r->protocol != q->proto)
		return M_NO;
	switch (ports_match(r->local_ports, q->port, why, whylen)) {
	case M_NO:
		return M_NO;
	case M_MAYBE:
		m = M_MAYBE;
		break;
	case M_YES:
		break;
	}
	if (r->app[0]) {
		if (q->app && strcasecmp(r->app, q->app) != 0)
			return M_NO;
		if (!q->app) {
			m = M_MAYBE;
			snprintf(why, whylen, "program %.110s, and the owner is unknown", r->app);
		}
	}
	if (r->service[0]) {
		if (q->services &&
		    (strcmp(r->service, "*") == 0 ? q->services[0] == '\0'
		                                  : !in_list(q->services, r->service)))
			return M_NO;
		if (!q->services) {
			m = M_MAYBE;
			snprintf(why, whylen, "service %.60s, and the owner's services are unknown",
			         r->service);
		}
	}
	if (r->other[0] && m == M_YES) {
		m = M_MAYBE;
		snprintf(why, whylen, "%s", r->other);
	}
	return m;
}

static void rule_text(const struct winfw_rule *r, int proto, char *buf, size_t len)
{
	char prof[32];

	snprintf(buf, len, "rule \"%.100s\" (%s %s %.100s; %s)", r->name,
	         r->allow ? "allow" : "block", proto == 17 ? "UDP" : "TCP",
	         is_any(r->local_ports) ? "any port" : r->local_ports,
	         r->profiles >= 7 ? "all profiles"
	                          : winfw_profiles_name(r->profiles, prof, sizeof(prof)));
}

/* The rules scanned once for one profile. */
struct scan {
	const struct winfw_rule *block, *allow; /* the first that match (allow: any source first) */
	const struct winfw_rule *block_maybe, *allow_maybe;
	char block_why[160], allow_why[160];
};

static void scan_rules(const struct winfw_policy *p, const struct winfw_query *q, long bit,
                       struct scan *s)
{
	for (size_t i = 0; i < p->nrules; i++) {
		const struct winfw_rule *r = &p->rules[i];
		char why[160] = "";
		enum match m = rule_match(r, q, bit, why, sizeof(why));

		if (m == M_NO)
			continue;
		if (!r->allow && !is_any(r->remote_addrs))
			continue; /* blocks some sources only: the rest still come in */
		if (m == M_YES && !r->allow && !s->block)
			s->block = r;
		else if (m == M_YES && r->allow &&
		         (!s->allow ||
		          (!is_any(s->allow->remote_addrs) && is_any(r->remote_addrs))))
			s->allow = r;
		else if (m == M_MAYBE && !r->allow && !s->block_maybe) {
			s->block_maybe = r;
			snprintf(s->block_why, sizeof(s->block_why), "%s", why);
		} else if (m == M_MAYBE && r->allow && !s->allow_maybe) {
			s->allow_maybe = r;
			snprintf(s->allow_why, sizeof(s->allow_why), "%s", why);
		}
	}
}

/* An unknown outcome: rule r might decide otherwise, for reason why. */
static void unknown(struct winfw_verdict *v, const struct winfw_rule *r, const char *why,
                    const char *pname)
{
	v->result = WINFW_UNKNOWN;
	snprintf(v->by, sizeof(v->by), "unknown: rule \"%.80s\" (%s) may %s it: %.160s", r->name,
	         pname, r->allow ? "allow" : "block", why);
}

static void eval_profile(const struct winfw_policy *p, int i, const struct winfw_query *q,
                         struct winfw_verdict *v)
{
	const struct winfw_profile *pr = &p->prof[i];
	const char *pname = profile_names[i];
	struct scan s = {0};
	snprintf(v->sources, sizeof(v->sources), "any");
	v->restricted = false;
	if (!pr->enabled) {
		v->result = WINFW_ACCEPTED;
		snprintf(v->by, sizeof(v->by), "the Windows Firewall is off (%s profile)", pname);
		return;
	}
	if (pr->block_all) {
		v->result = WINFW_BLOCKED;
		snprintf(v->by, sizeof(v->by), "block all inbound connections (%s profile)", pname);
		return;
	}
	scan_rules(p, q, 1L << i, &s);
	if (s.block) {
		v->result = WINFW_BLOCKED;
		rule_text(s.block, q->proto, v->by, sizeof(v->by));
	} else if (s.allow && s.block_maybe) {
		unknown(v, s.block_maybe, s.block_why, pname);
	} else if (s.allow) {
		v->result = WINFW_ACCEPTED;
		rule_text(s.allow, q->proto, v->by, sizeof(v->by));
		if (!is_any(s.allow->remote_addrs)) {
			v->restricted = true;
			memcpy(v->sources, s.allow->remote_addrs, sizeof(v->sources));
		}
	} else if (!pr->default_deny && s.block_maybe) {
		unknown(v, s.block_maybe, s.block_why, pname);
	} else if (pr->default_deny && s.allow_maybe) {
		unknown(v, s.allow_maybe, s.allow_why, pname);
	} else {
		v->result = pr->default_deny ? WINFW_BLOCKED : WINFW_ACCEPTED;
		snprintf(v->by, sizeof(v->by), "default inbound action %s (%s profile)",
		         pr->default_deny ? "Block" : "Allow", pname);
	}
}

int winfw_eval(const struct winfw_policy *p, const struct winfw_query *q, struct winfw_verdict *v)
{
	struct winfw_verdict one;
	bool have = false;

	memset(v, 0, sizeof(*v));
	if ((q->proto != 6 && q->proto != 17) || !(p->current & 7))
		return -EINVAL;
	/* accepted in one active profile beats unknown, which beats blocked */
	for (int i = 0; i < 3; i++) {
		static const int rank[] = {
		    [WINFW_ACCEPTED] = 2, [WINFW_UNKNOWN] = 1, [WINFW_BLOCKED] = 0};

		if (!(p->current & (1L << i)))
			continue;
		eval_profile(p, i, q, &one);
		if (!have || rank[one.result] > rank[v->result] ||
		    (one.result == WINFW_ACCEPTED && v->restricted && !one.restricted))
			*v = one;
		have = true;
	}
	return 0;
}
