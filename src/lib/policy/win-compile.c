/* The Windows Firewall back-end (see win.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/win.h"
#include "util/why.h"

/* A growing text buffer. */
struct wbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

__attribute__((format(printf, 2, 3))) static void put(struct wbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *ns = realloc(b->s, cap);
		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
}

/* ---- overlap of two rules' match sets ---- */

static bool ports_meet(const struct policy_rule *a, const struct policy_rule *b)
{
	if (!a->nports || !b->nports)
		return true;
	for (size_t i = 0; i < a->nports; i++)
		for (size_t j = 0; j < b->nports; j++)
			if (a->ports[i].lo <= b->ports[j].hi && b->ports[j].lo <= a->ports[i].hi)
				return true;
	return false;
}

static bool sources_meet(const struct policy_rule *a, const struct policy_rule *b)
{
	if (!a->nfrom || !b->nfrom)
		return true;
	for (size_t i = 0; i < a->nfrom; i++)
		for (size_t j = 0; j < b->nfrom; j++)
			if (policy_addr_contains(&a->from[i], &b->from[j]) ||
			    policy_addr_contains(&b->from[j], &a->from[i]))
				return true;
	return false;
}

static bool rules_meet(const struct policy_rule *a, const struct policy_rule *b)
{
	return (a->protos & b->protos) && ports_meet(a, b) && sources_meet(a, b);
}

/*
 * Whether rule i (a DENY or REJECT) needs a block rule: a later ALLOW meets it.
 * Returns 1, 0, or -EDOM when an earlier ALLOW meets it too (*other: that line).
 */
static int deny_needed(const struct policy *p, size_t i, unsigned *other)
{
	const struct policy_rule *d = &p->rules[i];
	bool later = false;

	for (size_t j = i + 1; j < p->nrules && !later; j++)
		later = p->rules[j].action == POLICY_ALLOW && rules_meet(d, &p->rules[j]);
	if (!later)
		return 0;
	for (size_t j = 0; j < i; j++)
		if (p->rules[j].action == POLICY_ALLOW && rules_meet(d, &p->rules[j])) {
			*other = p->rules[j].line;
			return -EDOM;
		}
	return 1;
}

/* ---- writers ---- */

/* s in single quotes for PowerShell ('' stands for '). */
static void put_psq(struct wbuf *b, const char *s)
{
	put(b, "'");
	for (; *s; s++)
		put(b, *s == '\'' ? "''" : "%c", *s);
	put(b, "'");
}

static void put_ports(struct wbuf *b, const struct policy_rule *r, bool ps)
{
	for (size_t i = 0; i < r->nports; i++) {
		const struct policy_range *pr = &r->ports[i];

		put(b, "%s%s", i ? "," : "", ps ? "'" : "");
		if (pr->lo == pr->hi)
			put(b, "%u", pr->lo);
		else
			put(b, "%u-%u", pr->lo, pr->hi);
		put(b, "%s", ps ? "'" : "");
	}
}

static void put_addrs(struct wbuf *b, const struct policy_rule *r, bool ps)
{
	char a[64];

	for (size_t i = 0; i < r->nfrom; i++) {
		policy_addr_format(&r->from[i], a, sizeof(a));
		put(b, "%s%s%s%s", i ? "," : "", ps ? "'" : "", a, ps ? "'" : "");
	}
}

/* One Windows rule: rule r for protocol proto ("TCP", "UDP", or "Any" for ALL). */
static void put_rule(struct wbuf *b, const struct policy_win_opts *o, const struct policy_rule *r,
                     const char *proto)
{
	bool ps = o->format == POLICY_WIN_POWERSHELL, allow = r->action == POLICY_ALLOW;
	char name[64], display[POLICY_LABEL_MAX + 32];

	snprintf(name, sizeof(name), "%s-%u-%s", POLICY_WIN_GROUP, r->line, proto);
	for (char *c = name; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
	if (r->label)
		snprintf(display, sizeof(display), "%s", r->label);
	else
		snprintf(display, sizeof(display), "%s line %u", POLICY_WIN_GROUP, r->line);
	put(b, "%s line %u: %s\n", ps ? "#" : "REM", r->line, r->text);
	if (ps) {
		put(b, "New-NetFirewallRule -Name '%s' -DisplayName ", name);
		put_psq(b, display);
		put(b, " -Group '%s' -Direction Inbound -Action %s -Protocol %s", POLICY_WIN_GROUP,
		    allow ? "Allow" : "Block", proto);
		if (r->nports) {
			put(b, " -LocalPort ");
			put_ports(b, r, true);
		}
		if (r->nfrom) {
			put(b, " -RemoteAddress ");
			put_addrs(b, r, true);
		}
		put(b, " | Out-Null\n");
		return;
	}
	/*
	 * netsh has neither groups nor display names: the name carries the label
	 * (labels hold no '"'), and each rule replaces the one of its name.
	 */
	put(b, "netsh advfirewall firewall delete rule name=\"%s: %s\" >nul 2>&1\n", name, display);
	put(b, "netsh advfirewall firewall add rule name=\"%s: %s\" dir=in action=%s protocol=%s",
	    name, display, allow ? "allow" : "block", strcmp(proto, "Any") == 0 ? "any" : proto);
	if (r->nports) {
		put(b, " localport=");
		put_ports(b, r, false);
	}
	if (r->nfrom) {
		put(b, " remoteip=");
		put_addrs(b, r, false);
	}
	put(b, "\n");
}

static void put_header(struct wbuf *b, const struct policy_win_opts *o)
{
	bool ps = o->format == POLICY_WIN_POWERSHELL;
	const char *c = ps ? "#" : "REM";

	if (ps)
		put(b, "#Requires -RunAsAdministrator\n");
	put(b, "%s Generated by portscope policy compile --to %s%s%s.\n", c,
	    ps ? "windows" : "netsh", o->source ? " from " : "", o->source ? o->source : "");
	put(b,
	    "%s Windows Firewall, inbound: the rules named %s-LINE-PROTO are replaced; first "
	    "match\n"
	    "%s wins in the policy, block wins over allow in Windows, so a DENY is a block rule\n"
	    "%s only where a later ALLOW would let in part of it. What no rule allows is\n"
	    "%s blocked by the profiles' default inbound action. Other enabled allow rules of\n"
	    "%s this machine still apply: review them (Get-NetFirewallRule -Direction Inbound\n"
	    "%s -Action Allow -Enabled True).\n",
	    c, POLICY_WIN_GROUP, c, c, c, c, c);
	if (ps)
		put(b,
		    "$ErrorActionPreference = 'Stop'\n"
		    "Get-NetFirewallRule -Group '%s' -ErrorAction SilentlyContinue | "
		    "Remove-NetFirewallRule\n",
		    POLICY_WIN_GROUP);
}

static void put_footer(struct wbuf *b, const struct policy *p, const struct policy_win_opts *o)
{
	const struct policy_rule *last = p->nrules ? &p->rules[p->nrules - 1] : NULL;
	bool deny_all = last && last->action != POLICY_ALLOW && last->protos == POLICY_P_ALL &&
	                !last->nports && !last->nfrom;

	const char *rem = o->format == POLICY_WIN_POWERSHELL ? "#" : "REM";

	if (deny_all)
		put(b, "%s line %u: %s\n", rem, last->line, last->text);
	put(b, "%s default deny: the profiles' default inbound action\n", rem);
	if (o->format == POLICY_WIN_POWERSHELL)
		put(b, "Set-NetFirewallProfile -Profile Domain,Private,Public -Enabled True "
		       "-DefaultInboundAction Block -DefaultOutboundAction Allow\n");
	else
		put(b, "netsh advfirewall set allprofiles state on\n"
		       "netsh advfirewall set allprofiles firewallpolicy "
		       "blockinbound,allowoutbound\n");
}

int policy_win_compile(const struct policy *p, const struct policy_win_opts *o, char **out,
                       size_t *outlen, char *why, size_t whylen)
{
	static const struct policy_win_opts defaults = {.format = POLICY_WIN_POWERSHELL};
	struct wbuf b = {0};
	const char *rem;

	if (!o)
		o = &defaults;
	rem = o->format == POLICY_WIN_POWERSHELL ? "#" : "REM";
	put_header(&b, o);
	for (size_t i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];
		unsigned other = 0;

		if (r->action != POLICY_ALLOW) {
			int need = deny_needed(p, i, &other);

			if (need < 0) {
				free(b.s);
				return why_err(
				    why, whylen, -EDOM,
				    "line %u denies what line %u allows and a later rule "
				    "allows again: Windows Firewall lets a block rule win "
				    "over every allow rule, so this order cannot be kept",
				    r->line, other);
			}
			if (!need) {
				if (i + 1 < p->nrules)
					put(&b, "%s line %u: %s: the default Block covers it\n",
					    rem, r->line, r->text);
				continue;
			}
			if (r->action == POLICY_REJECT)
				put(&b,
				    "%s line %u: REJECT: Windows Firewall only blocks (drops)\n",
				    rem, r->line);
		}
		if (r->protos == POLICY_P_ALL && !r->nports) {
			put_rule(&b, o, r, "Any");
			continue;
		}
		if (r->protos & POLICY_P_TCP)
			put_rule(&b, o, r, "TCP");
		if (r->protos & POLICY_P_UDP)
			put_rule(&b, o, r, "UDP");
	}
	put_footer(&b, p, o);
	if (b.oom) {
		free(b.s);
		return -ENOMEM;
	}
	*out = b.s;
	*outlen = b.len;
	return 0;
}
