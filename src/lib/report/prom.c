/* Prometheus textfile of a run (see prom.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report/outfile.h"
#include "report/prom.h"
#include "util/why.h"

static const char *const prom_severities[4] = {"info", "low", "medium", "high"};

/* A label value: backslash, double quote and newline escaped. */
static void prom_label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void prom_help(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* name{kind="…",targets="…"[,extra="value"]} */
static void prom_series(FILE *f, const struct prom_run *r, const char *name, const char *extra,
                        const char *value)
{
	fprintf(f, "%s{kind=\"", name);
	prom_label_value(f, r->kind ? r->kind : "scan");
	if (r->targets && *r->targets) {
		fputs("\",targets=\"", f);
		prom_label_value(f, r->targets);
	}
	if (extra) {
		fprintf(f, "\",%s=\"", extra);
		prom_label_value(f, value);
	}
	fputs("\"} ", f);
}

int prom_write(FILE *f, const struct prom_run *r)
{
	prom_help(f, "portscope_open_ports",
	          "Open ports (for an audit, listening sockets) the last run found, by protocol.");
	if (r->tcp) {
		prom_series(f, r, "portscope_open_ports", "proto", "tcp");
		fprintf(f, "%llu\n", (unsigned long long)r->open_tcp);
	}
	if (r->udp) {
		prom_series(f, r, "portscope_open_ports", "proto", "udp");
		fprintf(f, "%llu\n", (unsigned long long)r->open_udp);
	}
	prom_help(f, "portscope_reachable_endpoints",
	          "Endpoints the last run found reachable from outside (for a scan, open ports).");
	prom_series(f, r, "portscope_reachable_endpoints", NULL, NULL);
	fprintf(f, "%llu\n", (unsigned long long)r->reachable);
	if (r->nexposures) {
		prom_help(f, "portscope_endpoints", "Endpoints the last audit found, by exposure.");
		for (size_t i = 0; i < r->nexposures; i++) {
			prom_series(f, r, "portscope_endpoints", "exposure", r->exposures[i].name);
			fprintf(f, "%llu\n", (unsigned long long)r->exposures[i].n);
		}
	}
	prom_help(f, "portscope_findings", "Findings of the last run, by severity.");
	for (int s = 3; s >= 0; s--) {
		prom_series(f, r, "portscope_findings", "severity", prom_severities[s]);
		fprintf(f, "%llu\n", (unsigned long long)r->findings[s]);
	}
	prom_help(f, "portscope_hosts_up", "Hosts up in the last run.");
	prom_series(f, r, "portscope_hosts_up", NULL, NULL);
	fprintf(f, "%llu\n", (unsigned long long)r->hosts_up);
	prom_help(f, "portscope_last_run_timestamp_seconds",
	          "When the last run ended, in seconds since the epoch.");
	prom_series(f, r, "portscope_last_run_timestamp_seconds", NULL, NULL);
	fprintf(f, "%.3f\n", r->end);
	prom_help(f, "portscope_last_run_duration_seconds", "How long the last run took.");
	prom_series(f, r, "portscope_last_run_duration_seconds", NULL, NULL);
	fprintf(f, "%.3f\n", r->duration);
	return ferror(f) ? -EIO : 0;
}

int prom_write_file(const char *path, const struct prom_run *r, char *why, size_t whylen)
{
	struct outfile o;
	int err = outfile_open(&o, path, why, whylen);

	if (err < 0)
		return err;
	err = prom_write(o.f, r);
	if (err < 0)
		why_set(why, whylen, "cannot write '%s': %s", path, strerror(-err));
	return outfile_commit(&o, err, why, whylen);
}

int prom_send(struct outfile_keeper *k, const struct prom_run *r, char *why, size_t whylen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int err;

	if (!f) {
		outfile_keeper_cancel(k);
		return why_err(why, whylen, -ENOMEM, "out of memory");
	}
	err = prom_write(f, r);
	if (fclose(f) != 0 && !err)
		err = -ENOMEM;
	if (err < 0) {
		outfile_keeper_cancel(k);
		free(buf);
		return why_err(why, whylen, err, "cannot write the metrics: %s", strerror(-err));
	}
	err = outfile_keeper_send(k, buf, len, why, whylen);
	free(buf);
	return err;
}
