/*
 * The audit's firewall step on Windows: the Windows Firewall's profiles and
 * inbound rules through its documented COM API (INetFwPolicy2, INetFwRule),
 * and per listening socket the verdict winfw_eval() gives (winfw.h) for a
 * connection from outside: the scan of the own addresses cannot tell, since
 * the Windows Firewall does not filter the machine's own traffic. Where the
 * API fails (Wine's hnetcfg answers E_NOTIMPL), the report says so with the
 * call and its HRESULT and the scan's exposure stands, labelled as such.
 */
#define COBJMACROS /* the C call macros, INetFwRule_get_Name(r, &b) */
#include <winsock2.h>
#include <windows.h>
#include <initguid.h>
#include <ole2.h>
#include <oleauto.h>
#include <netfw.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit-private.h"
#include "audit/exposure.h"
#include "audit/winfw.h"

/* What was read, and the first failure. */
struct fw_read {
	struct winfw_policy pol;
	struct winfw_rule *rules;
	size_t nrules, cap;
	size_t total; /* rules enumerated, outbound and disabled included */
	char why[200];
	/* the services running, by process id (EnumServicesStatusExW) */
	ENUM_SERVICE_STATUS_PROCESSW *svc;
	DWORD nsvc;
};

static const char *hr_name(HRESULT hr)
{
	switch (hr) {
	case E_NOTIMPL:
		return " E_NOTIMPL";
	case E_ACCESSDENIED:
		return " E_ACCESSDENIED";
	case REGDB_E_CLASSNOTREG:
		return " REGDB_E_CLASSNOTREG";
	case E_NOINTERFACE:
		return " E_NOINTERFACE";
	default:
		return "";
	}
}

/* Records the first failure: "INetFwPolicy2::get_X: 0x80004001 E_NOTIMPL". */
static bool failed(struct fw_read *r, HRESULT hr, const char *call)
{
	if (SUCCEEDED(hr))
		return false;
	if (!r->why[0])
		snprintf(r->why, sizeof(r->why), "%s: 0x%08lx%s", call, (unsigned long)hr,
		         hr_name(hr));
	return true;
}

/* A BSTR in UTF-8 (NULL as ""), freed. */
static void take_bstr(BSTR b, char *out, size_t len)
{
	int n = b ? WideCharToMultiByte(CP_UTF8, 0, b, -1, out, (int)len, NULL, NULL) : 0;

	if (n <= 0)
		out[0] = '\0';
	out[len - 1] = '\0';
	SysFreeString(b);
}

/* The program path of a rule, its %variables% expanded, in UTF-8. */
static void take_app(BSTR b, char *out, size_t len)
{
	wchar_t full[MAX_PATH * 2];

	if (b && b[0] && ExpandEnvironmentStringsW(b, full, ARRAYSIZE(full)) > 0) {
		SysFreeString(b);
		b = SysAllocString(full);
	}
	take_bstr(b, out, len);
}

/* The conditions winfw_eval() does not decide: addresses, remote ports, interfaces. */
static HRESULT read_other(INetFwRule *ru, struct winfw_rule *w)
{
	BSTR b = NULL;
	VARIANT ifs;
	char s[64];
	HRESULT hr;

	if (FAILED(hr = INetFwRule_get_LocalAddresses(ru, &b)))
		return hr;
	take_bstr(b, s, sizeof(s));
	if (s[0] && strcmp(s, "*") != 0)
		snprintf(w->other, sizeof(w->other), "local addresses %s", s);
	if (w->protocol == 6 || w->protocol == 17) {
		if (FAILED(hr = INetFwRule_get_RemotePorts(ru, &b)))
			return hr;
		take_bstr(b, s, sizeof(s));
		if (s[0] && strcmp(s, "*") != 0)
			snprintf(w->other, sizeof(w->other), "remote ports %s", s);
	}
	if (FAILED(hr = INetFwRule_get_InterfaceTypes(ru, &b)))
		return hr;
	take_bstr(b, s, sizeof(s));
	if (s[0] && strcasecmp(s, "All") != 0)
		snprintf(w->other, sizeof(w->other), "interface types %s", s);
	VariantInit(&ifs);
	if (FAILED(hr = INetFwRule_get_Interfaces(ru, &ifs)))
		return hr;
	if (V_VT(&ifs) != VT_EMPTY && V_VT(&ifs) != VT_NULL)
		snprintf(w->other, sizeof(w->other), "interfaces listed by name");
	VariantClear(&ifs);
	return S_OK;
}

/* One INetFwRule into w; *keep false for a rule that cannot apply (outbound). */
static HRESULT read_rule(INetFwRule *ru, struct winfw_rule *w, bool *keep)
{
	NET_FW_RULE_DIRECTION dir;
	NET_FW_ACTION act;
	VARIANT_BOOL en;
	BSTR b = NULL;
	LONG l;
	HRESULT hr;

	memset(w, 0, sizeof(*w));
	*keep = false;
	if (FAILED(hr = INetFwRule_get_Direction(ru, &dir)))
		return hr;
	if (dir != NET_FW_RULE_DIR_IN)
		return S_OK;
	if (FAILED(hr = INetFwRule_get_Name(ru, &b)))
		return hr;
	take_bstr(b, w->name, sizeof(w->name));
	if (FAILED(hr = INetFwRule_get_Enabled(ru, &en)) ||
	    FAILED(hr = INetFwRule_get_Action(ru, &act)) ||
	    FAILED(hr = INetFwRule_get_Protocol(ru, &l)))
		return hr;
	w->inbound = true;
	w->enabled = en == VARIANT_TRUE;
	w->allow = act == NET_FW_ACTION_ALLOW;
	w->protocol = (int)l;
	if (w->protocol == 6 || w->protocol == 17) {
		if (FAILED(hr = INetFwRule_get_LocalPorts(ru, &b)))
			return hr;
		take_bstr(b, w->local_ports, sizeof(w->local_ports));
	}
	if (FAILED(hr = INetFwRule_get_RemoteAddresses(ru, &b)))
		return hr;
	take_bstr(b, w->remote_addrs, sizeof(w->remote_addrs));
	if (FAILED(hr = INetFwRule_get_Profiles(ru, &l)))
		return hr;
	w->profiles = l;
	if (FAILED(hr = INetFwRule_get_ApplicationName(ru, &b)))
		return hr;
	take_app(b, w->app, sizeof(w->app));
	if (FAILED(hr = INetFwRule_get_ServiceName(ru, &b)))
		return hr;
	take_bstr(b, w->service, sizeof(w->service));
	*keep = true;
	return read_other(ru, w);
}

/* The next rule of the enumeration into r->rules. Returns S_FALSE at the end. */
static HRESULT next_rule(struct fw_read *r, IEnumVARIANT *en)
{
	INetFwRule *ru = NULL;
	VARIANT v;
	ULONG got = 0;
	bool keep;
	HRESULT hr;

	VariantInit(&v);
	hr = IEnumVARIANT_Next(en, 1, &v, &got);
	if (hr != S_OK || got != 1)
		return FAILED(hr) ? hr : S_FALSE;
	r->total++;
	if (V_VT(&v) != VT_DISPATCH || !V_DISPATCH(&v))
		hr = E_NOINTERFACE;
	else
		hr = IDispatch_QueryInterface(V_DISPATCH(&v), &IID_INetFwRule, (void **)&ru);
	if (SUCCEEDED(hr) && r->nrules == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct winfw_rule *nr = realloc(r->rules, cap * sizeof(*nr));

		if (!nr)
			hr = E_OUTOFMEMORY;
		else
			r->rules = nr, r->cap = cap;
	}
	if (SUCCEEDED(hr))
		hr = read_rule(ru, &r->rules[r->nrules], &keep);
	if (SUCCEEDED(hr) && keep)
		r->nrules++;
	if (ru)
		INetFwRule_Release(ru);
	VariantClear(&v);
	return SUCCEEDED(hr) ? S_OK : hr;
}

static bool read_rules(struct fw_read *r, INetFwPolicy2 *pol)
{
	INetFwRules *rules = NULL;
	IUnknown *unk = NULL;
	IEnumVARIANT *en = NULL;
	HRESULT hr;
	bool ok = false;

	if (failed(r, INetFwPolicy2_get_Rules(pol, &rules), "INetFwPolicy2::get_Rules") ||
	    failed(r, INetFwRules_get__NewEnum(rules, &unk), "INetFwRules::get__NewEnum") ||
	    failed(r, IUnknown_QueryInterface(unk, &IID_IEnumVARIANT, (void **)&en),
	           "INetFwRules enumerator: IEnumVARIANT"))
		goto out;
	while ((hr = next_rule(r, en)) == S_OK)
		;
	ok = !failed(r, hr == S_FALSE ? S_OK : hr, "INetFwRule (reading a rule)");
out:
	if (en)
		IEnumVARIANT_Release(en);
	if (unk)
		IUnknown_Release(unk);
	if (rules)
		INetFwRules_Release(rules);
	return ok;
}

/* The profiles' state: active ones, on/off, block all, default inbound action. */
static bool read_profiles(struct fw_read *r, INetFwPolicy2 *pol)
{
	LONG cur = 0;

	if (failed(r, INetFwPolicy2_get_CurrentProfileTypes(pol, &cur),
	           "INetFwPolicy2::get_CurrentProfileTypes"))
		return false;
	r->pol.current = cur & 7;
	for (int i = 0; i < 3; i++) {
		NET_FW_PROFILE_TYPE2 t = (NET_FW_PROFILE_TYPE2)(1 << i);
		VARIANT_BOOL on = VARIANT_FALSE, all = VARIANT_FALSE;
		NET_FW_ACTION act = NET_FW_ACTION_BLOCK;

		if (!(r->pol.current & (1 << i)))
			continue;
		if (failed(r, INetFwPolicy2_get_FirewallEnabled(pol, t, &on),
		           "INetFwPolicy2::get_FirewallEnabled") ||
		    failed(r, INetFwPolicy2_get_BlockAllInboundTraffic(pol, t, &all),
		           "INetFwPolicy2::get_BlockAllInboundTraffic") ||
		    failed(r, INetFwPolicy2_get_DefaultInboundAction(pol, t, &act),
		           "INetFwPolicy2::get_DefaultInboundAction"))
			return false;
		r->pol.prof[i].enabled = on == VARIANT_TRUE;
		r->pol.prof[i].block_all = all == VARIANT_TRUE;
		r->pol.prof[i].default_deny = act == NET_FW_ACTION_BLOCK;
	}
	if (!r->pol.current && !r->why[0])
		snprintf(r->why, sizeof(r->why), "no active profile (CurrentProfileTypes 0x%lx)",
		         (unsigned long)cur);
	return r->pol.current != 0;
}

/* Reads the policy; false with r->why when COM or the firewall API fails. */
static bool read_policy(struct fw_read *r)
{
	INetFwPolicy2 *pol = NULL;
	HRESULT init = CoInitializeEx(NULL, COINIT_APARTMENTTHREADED);
	bool ok;

	if (FAILED(init) && init != RPC_E_CHANGED_MODE)
		return !failed(r, init, "CoInitializeEx");
	ok = !failed(r,
	             CoCreateInstance(&CLSID_NetFwPolicy2, NULL, CLSCTX_INPROC_SERVER,
	                              &IID_INetFwPolicy2, (void **)&pol),
	             "CoCreateInstance(NetFwPolicy2)") &&
	     read_profiles(r, pol) && read_rules(r, pol);
	if (pol)
		INetFwPolicy2_Release(pol);
	if (SUCCEEDED(init))
		CoUninitialize();
	r->pol.rules = r->rules;
	r->pol.nrules = r->nrules;
	return ok;
}

/* The running services with their process ids, for rules that name a service. */
static void read_services(struct fw_read *r)
{
	SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_ENUMERATE_SERVICE);
	DWORD need = 0, n = 0, resume = 0;

	if (!scm)
		return;
	EnumServicesStatusExW(scm, SC_ENUM_PROCESS_INFO, SERVICE_WIN32, SERVICE_ACTIVE, NULL, 0,
	                      &need, &n, &resume, NULL);
	r->svc = need ? malloc(need) : NULL;
	resume = 0;
	if (r->svc &&
	    !EnumServicesStatusExW(scm, SC_ENUM_PROCESS_INFO, SERVICE_WIN32, SERVICE_ACTIVE,
	                           (BYTE *)r->svc, need, &need, &n, &resume, NULL)) {
		free(r->svc);
		r->svc = NULL;
	}
	r->nsvc = r->svc ? n : 0;
	CloseServiceHandle(scm);
}

/*
 * The owner's image path into app (false: unknown) and its services into
 * svcs (*svc_known false when the services could not be listed).
 */
static bool owner_of(const struct fw_read *r, DWORD pid, char *app, size_t applen, char *svcs,
                     size_t svclen, bool *svc_known)
{
	wchar_t path[MAX_PATH * 2];
	DWORD len = ARRAYSIZE(path);
	HANDLE h = pid ? OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid) : NULL;
	bool ok = h && QueryFullProcessImageNameW(h, 0, path, &len);
	size_t at = 0;

	if (h)
		CloseHandle(h);
	*svc_known = ok && r->svc;
	if (!ok)
		return false;
	take_bstr(SysAllocString(path), app, applen);
	svcs[0] = '\0';
	for (DWORD i = 0; *svc_known && i < r->nsvc && at < svclen; i++) {
		char name[128];

		if (r->svc[i].ServiceStatusProcess.dwProcessId != pid)
			continue;
		take_bstr(SysAllocString(r->svc[i].lpServiceName), name, sizeof(name));
		at += (size_t)snprintf(svcs + at, svclen - at, "%s%s", at ? "," : "", name);
	}
	return true;
}

/*
 * Where the verdict lets it in: the own addresses e accepts in reach.on, and
 * the first one as the target of detection and checks (TCP: one the scan
 * found open). Returns how many own addresses e accepts.
 */
static unsigned reach_on(struct audit_job *j, struct audit_endpoint *e, bool fill)
{
	const struct audit_report *rep = j->rep;
	unsigned n = 0;

	for (unsigned k = 0; k < rep->naddrs; k++) {
		if (!audit_accepts(e->family, e->bind, e->dual, rep->addrs[k].family,
		                   target_addr_bytes(&rep->addrs[k])))
			continue;
		n++;
		if (fill)
			audit_reach_add(j, e, k,
			                e->proto == IPPROTO_UDP ||
			                    audit_local_state(j, e->port, k) == SCAN_OPEN);
	}
	return n;
}

/* One endpoint's verdict into its reach. */
static void judge_endpoint(struct audit_job *j, const struct fw_read *r, struct audit_endpoint *e)
{
	char app[1024], svcs[1024];
	bool svc_known;
	bool known = owner_of(r, (DWORD)e->pid, app, sizeof(app), svcs, sizeof(svcs), &svc_known);
	struct winfw_query q = {e->proto == IPPROTO_UDP ? 17 : 6, e->port, known ? app : NULL,
	                        svc_known ? svcs : NULL};
	struct winfw_verdict v;

	if (winfw_eval(&r->pol, &q, &v) < 0)
		return;
	e->reach.evaluated = true;
	e->reach.exp = v.result == WINFW_ACCEPTED  ? AUDIT_EXP_REACHABLE
	               : v.result == WINFW_BLOCKED ? AUDIT_EXP_BLOCKED
	                                           : AUDIT_EXP_UNKNOWN;
	e->reach.v4 = v.result == WINFW_ACCEPTED && (e->family == AF_INET || e->dual);
	e->reach.v6 = v.result == WINFW_ACCEPTED && e->family == AF_INET6;
	e->reach.restricted = v.restricted;
	snprintf(e->reach.rule, sizeof(e->reach.rule), "%s", v.by);
	snprintf(e->reach.sources, sizeof(e->reach.sources), "%s",
	         v.result == WINFW_ACCEPTED ? v.sources : "");
	if (v.result == WINFW_ACCEPTED)
		reach_on(j, e, true);
}

int audit_firewall(struct audit_job *j)
{
	struct audit_report *rep = j->rep;
	struct fw_read r = {0};
	char prof[32];
	size_t at;

	if (!read_policy(&r)) {
		snprintf(
		    rep->firewall, sizeof(rep->firewall),
		    "not evaluated: the Windows Firewall's API did not answer (%s): its verdicts "
		    "are unknown",
		    r.why);
		free(r.rules);
		return 1;
	}
	read_services(&r);
	rep->fw_evaluated = true;
	at = (size_t)snprintf(rep->firewall, sizeof(rep->firewall),
	                      "evaluated: the Windows Firewall, %zu inbound rules of %zu", r.nrules,
	                      r.total);
	for (int i = 0; i < 3 && at < sizeof(rep->firewall); i++) {
		const struct winfw_profile *p = &r.pol.prof[i];

		if (r.pol.current & (1 << i))
			at += (size_t)snprintf(rep->firewall + at, sizeof(rep->firewall) - at,
			                       "; %s profile %s",
			                       winfw_profiles_name(1 << i, prof, sizeof(prof)),
			                       !p->enabled       ? "off"
			                       : p->block_all    ? "on, blocks all inbound"
			                       : p->default_deny ? "on, default inbound Block"
			                                         : "on, default inbound Allow");
	}
	for (size_t i = 0; i < rep->neps; i++) {
		struct audit_endpoint *e = &rep->eps[i];

		/* bound to loopback, or no own address it accepts: the scan's word stands */
		if (audit_is_loopback(e->family, e->bind) || !reach_on(j, e, false))
			continue;
		judge_endpoint(j, &r, e);
	}
	free(r.rules);
	free(r.svc);
	return 0;
}
