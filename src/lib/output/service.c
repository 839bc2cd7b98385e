/* Services in outputs (see service.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "detect/engine.h"
#include "knowledge/services.h"
#include "output/json.h"
#include "output/out.h"
#include "output/service.h"

/*
 * Scan outputs name ports as nmap does, from nmap-services when it knows the
 * port (8080/tcp is "http-proxy" there, "http-alt" in /etc/services), so that
 * our reports and nmap's compare line for line; /etc/services otherwise.
 * nmap's "unknown" placeholder records are not names.
 */
const char *out_service_name(const struct kb *kb, uint16_t port, int proto)
{
	enum kb_proto p = proto == IPPROTO_UDP ? KB_PROTO_UDP : KB_PROTO_TCP;
	const struct kb_service *svc;
	size_t n;

	if (!kb)
		return NULL;
	n = kb_port_services(kb, port, p, &svc);
	for (size_t i = 0; i < n; i++)
		if (svc[i].source == KB_SRC_NMAP && strcmp(svc[i].name, "unknown") != 0)
			return svc[i].name;
	return kb_service_name(kb, port, p);
}

const struct detect_result *out_version_find(const struct out_info *in, uint16_t port)
{
	size_t lo = 0, hi = in->nversions;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (in->versions[mid].port == port)
			return in->versions[mid].r;
		if (in->versions[mid].port < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *out_version_name(const struct detect_result *r, char sep, char *buf, size_t len)
{
	const char *name = r->svc.name[0] ? r->svc.name : "unknown";

	if (r->tunnel)
		snprintf(buf, len, "%s%c%s", r->tunnel, sep, name);
	else
		snprintf(buf, len, "%s", name);
	return buf;
}

const char *out_version_text(const struct detect_result *r, char *buf, size_t len)
{
	const struct detect_service *s = &r->svc;

	snprintf(buf, len, "%s%s%s%s%s%s", s->product, s->product[0] && s->version[0] ? " " : "",
	         s->version, (s->product[0] || s->version[0]) && s->extrainfo[0] ? " " : "",
	         s->extrainfo[0] ? "(" : "", s->extrainfo);
	if (s->extrainfo[0] && strlen(buf) + 2 <= len)
		strcat(buf, ")");
	return buf;
}

size_t out_cpe_parts(const char *cpes, char *buf, size_t len, const char *out[3])
{
	static const char parts[3] = {'a', 'h', 'o'};
	const char *last[3] = {NULL, NULL, NULL};
	char *tok, *save = NULL;
	size_t n = 0;

	snprintf(buf, len, "%s", cpes ? cpes : "");
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		for (size_t p = 0; p < 3; p++)
			if (strncmp(tok, "cpe:/", 5) == 0 && tok[5] == parts[p])
				last[p] = tok;
	for (size_t p = 0; p < 3; p++)
		if (last[p])
			out[n++] = last[p];
	return n;
}

/* Sets key to s when s is not empty. Returns 0 or -ENOMEM. */
static int svc_set_text(json_t *o, const char *key, const char *s)
{
	return s && s[0] ? json_set_str(o, key, s) : 0;
}

/* The TLS details of a -sV result that opened a tunnel. */
static json_t *svc_tls(const struct detect_tls *t)
{
	json_t *o = json_object();
	int e = !o;

	e |= svc_set_text(o, "version", t->version) < 0;
	e |= svc_set_text(o, "cipher", t->cipher) < 0;
	e |= svc_set_text(o, "subject", t->subject) < 0;
	e |= svc_set_text(o, "issuer", t->issuer) < 0;
	e |= svc_set_text(o, "sans", t->sans) < 0;
	e |= svc_set_text(o, "not_after", t->not_after) < 0;
	e |= svc_set_text(o, "alpn", t->alpn) < 0;
	if (e) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* product, version, …, cpe, tunnel, title, reason, tls of a -sV result. */
static int svc_detail(json_t *o, const struct detect_result *r)
{
	const struct detect_service *d = &r->svc;
	const char *cpe[3];
	char buf[sizeof(d->cpe)];
	size_t ncpe = out_cpe_parts(d->cpe, buf, sizeof(buf), cpe);
	json_t *arr;
	int e = 0;

	e |= svc_set_text(o, "product", d->product) < 0;
	e |= svc_set_text(o, "version", d->version) < 0;
	e |= svc_set_text(o, "extrainfo", d->extrainfo) < 0;
	e |= svc_set_text(o, "hostname", d->hostname) < 0;
	e |= svc_set_text(o, "ostype", d->ostype) < 0;
	e |= svc_set_text(o, "devicetype", d->devicetype) < 0;
	e |= svc_set_text(o, "tunnel", r->tunnel) < 0;
	e |= svc_set_text(o, "title", d->title) < 0;
	if (ncpe) {
		arr = json_array();
		for (size_t i = 0; arr && i < ncpe; i++)
			e |= json_array_append_new(arr, json_string(cpe[i])) < 0;
		e |= json_set(o, "cpe", arr) < 0 || !arr;
	}
	e |= svc_set_text(o, "reason", r->reason) < 0;
	if (r->tls.handshake)
		e |= json_set(o, "tls", svc_tls(&r->tls)) < 0;
	return e ? -ENOMEM : 0;
}

json_t *out_json_service(const struct out_service *s)
{
	const char *name = s->name && s->name[0] ? s->name : s->probed ? "unknown" : NULL;
	json_t *o;
	int e = 0;

	if (!name)
		return json_null();
	o = json_object();
	if (!o)
		return NULL;
	e |= json_set_str(o, "name", name) < 0;
	e |= json_set_str(o, "method", s->probed ? "probed" : "table") < 0;
	e |= json_set(o, "confidence", json_integer(s->probed ? s->confidence : 3)) < 0;
	if (s->r) {
		e |= svc_detail(o, s->r) < 0;
	} else {
		e |= svc_set_text(o, "product", s->product) < 0;
		e |= svc_set_text(o, "version", s->version) < 0;
	}
	e |= json_set_str(o, "port_default", s->port_default) < 0;
	e |= json_set(o, "mismatch",
	              json_boolean(s->mismatch
	                               ? *s->mismatch
	                               : s->probed && s->port_default && s->name && s->name[0] &&
	                                     detect_mismatch(s->name, s->port_default))) < 0;
	if (e) {
		json_decref(o);
		return NULL;
	}
	return o;
}
