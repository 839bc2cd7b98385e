/* portscope info: what a port number (or a service name) means on this machine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "cmd/common.h"
#include "knowledge/portarg.h"
#include "knowledge/portclass.h"
#include "knowledge/risk.h"
#include "knowledge/services.h"
#include "output/json.h"
#include "output/table.h"
#include "platform/platform.h"
#include "util/input.h"
#include "util/strnum.h"

#define ALL_PROTOS ((1u << KB_PROTO_COUNT) - 1)
#define MAX_RISKS  16

/* What this machine says about ports; a field is unknown when its ok flag is false. */
struct info_host {
	bool range_ok, unpriv_ok;
	uint16_t eph_lo, eph_hi;
	uint16_t unpriv_start;
	char range_why[256], unpriv_why[256];
};

/* One port of an argument, with the protocols it is shown for. */
struct info_port {
	uint16_t port;
	unsigned protos; /* bit per enum kb_proto */
};

struct info_query {
	const char *arg;
	struct portarg pa;
	struct info_port *ports;
	size_t nports;
};

enum { OPT_SERVICES = CMD_OPT_OWN, OPT_NMAP };

static const struct cmd_option info_options[] = {
    {.name = "json",
     .id = CMD_OPT_JSON,
     .section = "options:",
     .help = "one JSON document: an array, one object per argument"},
    CMD_OPTION_NO_COLOR,
    {.name = "services",
     .id = OPT_SERVICES,
     .arg = CMD_ARG_REQUIRED,
     .metavar = "FILE",
     .complete = CMD_COMPLETE_FILE,
     .help = "read FILE instead of /etc/services ('' to skip)"},
    {.name = "nmap-services",
     .id = OPT_NMAP,
     .arg = CMD_ARG_REQUIRED,
     .metavar = "FILE",
     .complete = CMD_COMPLETE_FILE,
     .help = "read FILE instead of " KB_NMAP_SERVICES " ('' to skip)"},
    {0},
};

static unsigned proto_mask(int proto)
{
	return proto < 0 ? ALL_PROTOS : 1u << proto;
}

/* Fills q->ports from the knowledge base. Returns 0, -ENOENT (no such service) or -ENOMEM. */
static int resolve(const struct kb *kb, struct info_query *q)
{
	struct kb_portproto *pp;
	int n;

	if (q->pa.kind == PORTARG_PORT) {
		q->ports = calloc(1, sizeof(*q->ports));
		if (!q->ports)
			return -ENOMEM;
		q->ports[0] =
		    (struct info_port){.port = q->pa.port, .protos = proto_mask(q->pa.proto)};
		q->nports = 1;
		return 0;
	}
	n = kb_service_ports(kb, q->pa.name, NULL, 0);
	if (n < 0)
		return n;
	if (n == 0)
		return -ENOENT;
	pp = calloc((size_t)n, sizeof(*pp));
	q->ports = calloc((size_t)n, sizeof(*q->ports));
	if (!pp || !q->ports) {
		free(pp);
		return -ENOMEM;
	}
	n = kb_service_ports(kb, q->pa.name, pp, (size_t)n);
	/* pp is sorted by port then proto: group the protocols of one port. */
	for (int i = 0; i < n; i++) {
		if (q->pa.proto >= 0 && pp[i].proto != q->pa.proto)
			continue;
		if (q->nports && q->ports[q->nports - 1].port == pp[i].port)
			q->ports[q->nports - 1].protos |= 1u << pp[i].proto;
		else
			q->ports[q->nports++] =
			    (struct info_port){.port = pp[i].port, .protos = 1u << pp[i].proto};
	}
	free(pp);
	return q->nports ? 0 : -ENOENT;
}

static void read_host(struct info_host *h)
{
	h->range_why[0] = '\0';
	h->range_ok = platform->ephemeral_range(&h->eph_lo, &h->eph_hi, h->range_why,
	                                        sizeof(h->range_why)) == 0;
	h->unpriv_ok = platform->unpriv_port_start(&h->unpriv_start, h->unpriv_why,
	                                           sizeof(h->unpriv_why)) == 0;
}

/* The best name for a port over its protocols, tcp first. */
static const char *port_name(const struct kb *kb, const struct info_port *ip)
{
	for (int p = 0; p < KB_PROTO_COUNT; p++) {
		const char *name;
		if (!(ip->protos & (1u << p)))
			continue;
		name = kb_service_name(kb, ip->port, (enum kb_proto)p);
		if (name)
			return name;
	}
	return NULL;
}

/* "22" (all protocols, when bare), "22/tcp" or "22/tcp,udp". */
static void port_label(const struct info_port *ip, bool bare, char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "%u", ip->port);
	char sep = '/';

	if (bare && ip->protos == ALL_PROTOS)
		return;
	for (int p = 0; p < KB_PROTO_COUNT && off < len; p++) {
		if (!(ip->protos & (1u << p)))
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%c%s", sep, kb_proto_name(p));
		sep = ',';
	}
}

static size_t port_risks(const struct info_port *ip, const struct kb_risk **out)
{
	const struct kb_risk *all[MAX_RISKS];
	size_t n = kb_risks_for(ip->port, -1, all, MAX_RISKS), k = 0;

	if (n > MAX_RISKS)
		n = MAX_RISKS;
	for (size_t i = 0; i < n; i++)
		if (ip->protos & (1u << all[i]->proto))
			out[k++] = all[i];
	return k;
}

/* ---- human output ---- */

#define KEY_FMT  "  %-11s" /* key of a key/value line, then one space */
#define KEY_CELL "  %-10s" /* the same key as a table cell, then the gap of 2 */

static int new_table(struct table **t, unsigned ncols)
{
	*t = table_new();
	if (!*t)
		return -ENOMEM;
	table_set_header(*t, false);
	table_set_gap(*t, 2);
	for (unsigned i = 0; i < ncols; i++)
		if (table_add_column(*t, "", TABLE_LEFT) < 0)
			return -ENOMEM;
	return 0;
}

/* The last cell of a service row: "freq 0.182286  comment", no trailing blanks. */
static int last_cell(struct table *t, const struct kb_service *s)
{
	char freq[32] = "";
	char *text;
	size_t len;
	int rc;

	if (s->freq >= 0)
		snprintf(freq, sizeof(freq), "freq %.6f", s->freq);
	if (asprintf(&text, "%-13s  %s", freq, s->comment ? s->comment : "") < 0)
		return -ENOMEM;
	len = strlen(text);
	while (len && text[len - 1] == ' ')
		text[--len] = '\0';
	rc = table_cell(t, text);
	free(text);
	return rc;
}

static int print_services(const struct kb *kb, const struct info_port *ip, bool color)
{
	struct table *t;
	bool any = false;
	int rc;

	rc = new_table(&t, 5);
	for (int p = 0; rc == 0 && p < KB_PROTO_COUNT; p++) {
		const struct kb_service *s;
		size_t n;

		if (!(ip->protos & (1u << p)))
			continue;
		n = kb_port_services(kb, ip->port, (enum kb_proto)p, &s);
		for (size_t i = 0; rc == 0 && i < n; i++) {
			char name[KB_NAME_MAX * 4];
			size_t off = (size_t)snprintf(name, sizeof(name), "%s", s[i].name);

			for (unsigned a = 0; a < s[i].naliases && off < sizeof(name); a++)
				off += (size_t)snprintf(name + off, sizeof(name) - off, "%s%s",
				                        a ? ", " : " (alias ",
				                        kb_service_alias(&s[i], a));
			if (s[i].naliases && off < sizeof(name))
				snprintf(name + off, sizeof(name) - off, ")");
			rc |= table_cellf(t, KEY_CELL, any ? "" : "services");
			rc |= table_cell(t, kb_proto_name(p));
			rc |= table_cell(t, name);
			rc |= table_cell(t, s[i].source == KB_SRC_ETC ? "/etc/services"
			                                              : "nmap-services");
			rc |= last_cell(t, &s[i]);
			any = true;
		}
	}
	if (rc == 0 && !any)
		printf(KEY_FMT " none registered\n", "services");
	else if (rc == 0)
		rc = table_render(t, stdout, color);
	table_free(t);
	return rc < 0 ? rc : 0;
}

static int print_risks(const struct info_port *ip, bool color)
{
	const struct kb_risk *r[MAX_RISKS];
	size_t n = port_risks(ip, r);
	struct table *t;
	int rc;

	if (n == 0) {
		printf(KEY_FMT " none in the catalogue\n", "risk");
		return 0;
	}
	rc = new_table(&t, 3);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc |= table_cellf(t, KEY_CELL, i ? "" : "risk");
		rc |= table_cell_color(t, kb_severity_name(r[i]->severity),
		                       cmd_severity_color(r[i]->severity));
		rc |= table_cellf(t, "%s/%s: %s", r[i]->service, kb_proto_name(r[i]->proto),
		                  r[i]->note);
		rc |= table_cellf(t, KEY_CELL, "");
		rc |= table_cell(t, "");
		rc |= table_cellf(t, "fix: %s", r[i]->recommendation);
		rc |= table_cellf(t, KEY_CELL, "");
		rc |= table_cell(t, "");
		rc |= table_cellf(t, "ref: %s", r[i]->citation);
	}
	if (rc == 0)
		rc = table_render(t, stdout, color);
	table_free(t);
	return rc < 0 ? rc : 0;
}

static int print_port(const struct kb *kb, const struct info_host *h, const struct info_port *ip,
                      bool bare, bool color)
{
	enum kb_portclass cls = kb_port_class(ip->port);
	const char *name = port_name(kb, ip);
	const char *range_src = h->range_why[0] ? h->range_why : "this machine";
	uint16_t lo, hi;
	char label[64];

	port_label(ip, bare, label, sizeof(label));
	kb_portclass_range(cls, &lo, &hi);
	if (color)
		printf("\033[1m%s\033[0m  %s\n", label, name ? name : "(no registered name)");
	else
		printf("%s  %s\n", label, name ? name : "(no registered name)");
	printf(KEY_FMT " %s (%u-%u)\n", "class", kb_portclass_name(cls), lo, hi);
	if (!h->range_ok)
		printf(KEY_FMT " unknown (%s)\n", "ephemeral", h->range_why);
	else if (ip->port >= h->eph_lo && ip->port <= h->eph_hi)
		printf(KEY_FMT " yes (%s: %u-%u): used for outgoing connections, "
		               "a listener here can collide\n",
		       "ephemeral", range_src, h->eph_lo, h->eph_hi);
	else
		printf(KEY_FMT " no (%s: %u-%u)\n", "ephemeral", range_src, h->eph_lo, h->eph_hi);
	if (h->unpriv_ok && !platform->unpriv_setting)
		printf(KEY_FMT " no (no privileged ports here: any user may bind any port)\n",
		       "privileged");
	else if (!h->unpriv_ok)
		printf(KEY_FMT " unknown (%s)\n", "privileged", h->unpriv_why);
	else if (ip->port < h->unpriv_start)
		printf(KEY_FMT " yes (below %s = %u): bind needs root or CAP_NET_BIND_SERVICE\n",
		       "privileged", platform->unpriv_setting, h->unpriv_start);
	else
		printf(KEY_FMT " no (%s = %u)\n", "privileged", platform->unpriv_setting,
		       h->unpriv_start);
	if (ip->port == 0)
		printf(KEY_FMT " port 0 is reserved: bind() to port 0 picks an ephemeral port\n",
		       "note");
	if (print_services(kb, ip, color) < 0 || print_risks(ip, color) < 0)
		return -EIO;
	return 0;
}

static int print_human(const struct kb *kb, const struct info_host *h, struct info_query *qs,
                       size_t nq, bool color)
{
	bool first = true;

	for (size_t i = 0; i < nq; i++) {
		const struct info_query *q = &qs[i];

		if (q->pa.kind == PORTARG_SERVICE) {
			if (!first)
				putchar('\n');
			first = true; /* its first port follows without a blank line */
			printf("%s:", q->arg);
			for (size_t j = 0; j < q->nports; j++) {
				char label[64];
				port_label(&q->ports[j], false, label, sizeof(label));
				printf(" %s", label);
			}
			putchar('\n');
		}
		for (size_t j = 0; j < q->nports; j++) {
			if (!first)
				putchar('\n');
			first = false;
			if (print_port(kb, h, &q->ports[j], q->pa.kind == PORTARG_PORT, color) < 0)
				return -EIO;
		}
	}
	return ferror(stdout) ? -EIO : 0;
}

/* ---- JSON output ---- */

static json_t *json_services(const struct kb *kb, const struct info_port *ip)
{
	json_t *arr = json_array();

	for (int p = 0; arr && p < KB_PROTO_COUNT; p++) {
		const struct kb_service *s;
		size_t n;

		if (!(ip->protos & (1u << p)))
			continue;
		n = kb_port_services(kb, ip->port, (enum kb_proto)p, &s);
		for (size_t i = 0; i < n; i++) {
			json_t *o = json_object(), *aliases = json_array();
			int rc = 0;

			for (unsigned a = 0; aliases && a < s[i].naliases; a++)
				rc |= json_array_append_new(
				    aliases, json_string(kb_service_alias(&s[i], a)));
			rc |= json_set_str(o, "proto", kb_proto_name(p));
			rc |= json_set_str(o, "name", s[i].name);
			rc |= json_set(o, "aliases", aliases);
			rc |= json_set_str(o, "source", kb_source_name(s[i].source));
			rc |=
			    json_set(o, "frequency", s[i].freq >= 0 ? json_real(s[i].freq) : NULL);
			rc |= json_set_str(o, "comment", s[i].comment);
			if (!o || rc || json_array_append_new(arr, o) < 0) {
				json_decref(arr);
				return NULL;
			}
		}
	}
	return arr;
}

static json_t *json_risks(const struct info_port *ip)
{
	const struct kb_risk *r[MAX_RISKS];
	size_t n = port_risks(ip, r);
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++) {
		json_t *o = json_object();
		int rc = 0;

		rc |= json_set(o, "port", json_integer(r[i]->port));
		rc |= json_set_str(o, "proto", kb_proto_name(r[i]->proto));
		rc |= json_set_str(o, "name", r[i]->service);
		rc |= json_set_str(o, "severity", kb_severity_name(r[i]->severity));
		rc |= json_set_str(o, "note", r[i]->note);
		rc |= json_set_str(o, "citation", r[i]->citation);
		rc |= json_set_str(o, "recommendation", r[i]->recommendation);
		if (!o || rc || json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static json_t *json_range(uint16_t lo, uint16_t hi)
{
	return json_pack("[ii]", (int)lo, (int)hi);
}

static json_t *json_port(const struct kb *kb, const struct info_host *h, const struct info_port *ip)
{
	enum kb_portclass cls = kb_port_class(ip->port);
	json_t *o = json_object(), *protos = json_array();
	uint16_t lo, hi;
	int rc = 0;

	if (!o || !protos) {
		json_decref(o);
		json_decref(protos);
		return NULL;
	}
	kb_portclass_range(cls, &lo, &hi);
	for (int p = 0; p < KB_PROTO_COUNT; p++)
		if (ip->protos & (1u << p))
			rc |= json_array_append_new(protos, json_string(kb_proto_name(p)));
	rc |= json_set(o, "port", json_integer(ip->port));
	rc |= json_set(o, "protos", protos);
	rc |= json_set_str(o, "name", port_name(kb, ip));
	rc |= json_set_str(o, "class", kb_portclass_name(cls));
	rc |= json_set(o, "class_range", json_range(lo, hi));
	rc |= json_set(o, "ephemeral",
	               h->range_ok ? json_boolean(ip->port >= h->eph_lo && ip->port <= h->eph_hi)
	                           : NULL);
	rc |= json_set(o, "ephemeral_range", h->range_ok ? json_range(h->eph_lo, h->eph_hi) : NULL);
	rc |= json_set(o, "privileged",
	               h->unpriv_ok ? json_boolean(ip->port < h->unpriv_start) : NULL);
	rc |= json_set(o, "unprivileged_port_start",
	               h->unpriv_ok ? json_integer(h->unpriv_start) : NULL);
	rc |= json_set(o, "services", json_services(kb, ip));
	rc |= json_set(o, "risks", json_risks(ip));
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int print_json(const struct kb *kb, const struct info_host *h, struct info_query *qs,
                      size_t nq)
{
	json_t *doc = json_object(), *results = json_array();
	int rc = doc && results ? 0 : -ENOMEM;

	for (size_t i = 0; rc == 0 && i < nq; i++) {
		const struct info_query *q = &qs[i];
		json_t *o = json_object(), *ports = json_array();

		rc |= json_set_str(o, "argument", q->arg);
		rc |= json_set_str(o, "kind", q->pa.kind == PORTARG_PORT ? "port" : "service");
		rc |= json_set_str(o, "name", q->pa.kind == PORTARG_SERVICE ? q->pa.name : NULL);
		rc |=
		    json_set_str(o, "proto", q->pa.proto >= 0 ? kb_proto_name(q->pa.proto) : NULL);
		for (size_t j = 0; ports && j < q->nports; j++) {
			json_t *p = json_port(kb, h, &q->ports[j]);
			if (!p || json_array_append_new(ports, p) < 0)
				rc = -ENOMEM;
		}
		rc |= json_set(o, "ports", ports);
		if (!o || rc || json_array_append_new(results, o) < 0)
			rc = -ENOMEM;
	}
	rc |= json_set_str(doc, "type", "info");
	rc |= json_set(doc, "results", results);
	if (rc == 0 && json_write_line(stdout, doc) < 0)
		rc = -EIO;
	json_decref(doc);
	return rc;
}

/* ---- entry point ---- */

static int info_run(const struct cmd_args *a)
{
	struct kb_paths paths = {.etc_services = cmd_get(a, OPT_SERVICES),
	                         .nmap_services = cmd_get(a, OPT_NMAP)};
	struct info_query *qs = NULL;
	struct info_host host = {0};
	struct kb *kb = NULL;
	char why[512];
	size_t nq = a->nwords;
	int rc, status = EXIT_OK;

	if (nq == 0)
		return cmd_usage("info", "missing PORT or SERVICE argument (see --help)");

	qs = calloc(nq, sizeof(*qs));
	if (!qs) {
		cmd_error("info", "out of memory");
		return EXIT_RUNTIME;
	}
	/* Validate every argument before any output. */
	for (size_t i = 0; i < nq; i++) {
		qs[i].arg = a->words[i];
		if (portarg_parse(qs[i].arg, &qs[i].pa, why, sizeof(why)) < 0) {
			status = cmd_usage("info", "%s", why);
			goto out;
		}
	}
	rc = kb_load(&paths, &kb, why, sizeof(why));
	if (rc < 0) {
		cmd_error("info", "%s", why);
		status = input_is_bad(rc) ? EXIT_USAGE : EXIT_RUNTIME;
		goto out;
	}
	for (size_t i = 0; i < nq; i++) {
		rc = resolve(kb, &qs[i]);
		if (rc == -ENOENT) {
			if (qs[i].pa.proto >= 0 && kb_service_ports(kb, qs[i].pa.name, NULL, 0) > 0)
				status = cmd_usage("info", "service '%s' has no %s port",
				                   qs[i].pa.name, kb_proto_name(qs[i].pa.proto));
			else
				status = cmd_usage(
				    "info", "no such service '%s' (not in %s%s)", qs[i].pa.name,
				    "/etc/services",
				    kb_has_source(kb, KB_SRC_NMAP) ? " or nmap-services" : "");
			goto out;
		}
		if (rc < 0) {
			cmd_error("info", "out of memory");
			status = EXIT_RUNTIME;
			goto out;
		}
	}
	read_host(&host);
	if (a->json)
		rc = print_json(kb, &host, qs, nq);
	else
		rc = print_human(kb, &host, qs, nq, cmd_use_color(stdout, a->no_color));
	if (rc < 0) {
		cmd_error("info", "cannot write output: %s", strerror(-rc));
		status = EXIT_RUNTIME;
	}
out:
	for (size_t i = 0; i < nq; i++)
		free(qs[i].ports);
	free(qs);
	kb_free(kb);
	return status;
}

const struct cmd_spec cmd_info = {
    .name = "info",
    .usage = "[--json] [--no-color] PORT[/PROTO]... | SERVICE[/PROTO]...",
    .summary = "what a port number means: range, services, risk",
    .about = "What a port means: its IANA class, whether it lies in this machine's\n"
             "ephemeral range, whether binding it needs privilege, the services\n"
             "registered for it (/etc/services, nmap-services with open frequency)\n"
             "and the known risks of exposing it, with citations.\n"
             "\n"
             "  PORT        0-65535, e.g. 23 or 53/udp (PROTO: tcp, udp, sctp)\n"
             "  SERVICE     a service name or alias, e.g. ssh, https, www, domain/udp\n",
    .epilog = "examples:\n"
              "  portscope info 23 ssh\n"
              "  portscope info 161/udp --json\n",
    .options = info_options,
    .max_words = -1,
    .dash_digits_are_words = true,
    .run = info_run,
};
