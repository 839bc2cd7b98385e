/*
 * Test driver for the detection engine (no CLI wiring yet): runs detect_run
 * over the endpoints given as arguments and prints one JSON object per result.
 *
 *   detect-driver [--probes FILE | --no-nmap] [--intensity N] [--max-read BYTES]
 *                 [--no-builtin] [--no-tls] [--load-only] [--stats] tcp:198.18.0.2:22
 * udp:198.18.0.2:53 …
 *
 * --stats ends the output with {"type":"stats",…}: the engine's connection and
 * buffer peaks and this process's peak RSS.
 *
 * Exit status: 0 done, 2 bad arguments, 3 the engine or the probe file failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <arpa/inet.h>

#include "detect/engine.h"
#include "detect/probes.h"
#include "output/json.h"
#include "util/strnum.h"

static void on_probe_error(void *ctx, unsigned line, const char *msg)
{
	(void)ctx;
	(void)line;
	fprintf(stderr, "detect-driver: %s\n", msg);
}

static void sink(void *ctx, const struct detect_result *r)
{
	const struct detect_endpoint *ep = r->ep;
	json_t *o = json_object(), *s = json_object();
	char addr[64] = "";
	unsigned port;

	(void)ctx;
	if (ep->addr.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&ep->addr)->sin6_addr, addr,
		          sizeof(addr));
		port = ntohs(((const struct sockaddr_in6 *)&ep->addr)->sin6_port);
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&ep->addr)->sin_addr, addr,
		          sizeof(addr));
		port = ntohs(((const struct sockaddr_in *)&ep->addr)->sin_port);
	}
	json_set_str(o, "host", addr);
	json_set_str(o, "proto", ep->proto == PROBES_TCP ? "tcp" : "udp");
	json_set(o, "port", json_integer(port));
	json_set_str(s, "name", r->svc.name[0] ? r->svc.name : "unknown");
	json_set_str(s, "product", r->svc.product[0] ? r->svc.product : NULL);
	json_set_str(s, "version", r->svc.version[0] ? r->svc.version : NULL);
	json_set_str(s, "extrainfo", r->svc.extrainfo[0] ? r->svc.extrainfo : NULL);
	json_set_str(s, "hostname", r->svc.hostname[0] ? r->svc.hostname : NULL);
	json_set_str(s, "ostype", r->svc.ostype[0] ? r->svc.ostype : NULL);
	json_set_str(s, "devicetype", r->svc.devicetype[0] ? r->svc.devicetype : NULL);
	json_set_str(s, "cpe", r->svc.cpe[0] ? r->svc.cpe : NULL);
	json_set_str(s, "title", r->svc.title[0] ? r->svc.title : NULL);
	json_set_str(s, "method", r->method);
	json_set(s, "confidence", json_integer(r->confidence));
	json_set_str(s, "reason", r->reason);
	json_set_str(s, "probe", r->probe);
	json_set_str(s, "source", r->source);
	json_set_str(s, "tunnel", r->tunnel);
	if (r->tls.handshake) {
		json_t *t = json_object();

		json_set_str(t, "version", r->tls.version);
		json_set_str(t, "cipher", r->tls.cipher);
		json_set_str(t, "subject", r->tls.subject);
		json_set_str(t, "issuer", r->tls.issuer);
		json_set_str(t, "sans", r->tls.sans[0] ? r->tls.sans : NULL);
		json_set_str(t, "not_after", r->tls.not_after[0] ? r->tls.not_after : NULL);
		json_set_str(t, "alpn", r->tls.alpn[0] ? r->tls.alpn : NULL);
		json_set(s, "tls", t);
	}
	json_set(o, "service", s);
	json_set(o, "probes_sent", json_integer(r->probes_sent));
	json_set(o, "elapsed_ms", json_integer(r->elapsed_ms));
	json_write_line(stdout, o);
	fflush(stdout);
	json_decref(o);
}

static int parse_endpoint(const char *arg, struct detect_endpoint *ep)
{
	char buf[96];
	char *colon;
	uint64_t port;
	enum probes_proto proto;

	if (strncmp(arg, "tcp:", 4) == 0)
		proto = PROBES_TCP;
	else if (strncmp(arg, "udp:", 4) == 0)
		proto = PROBES_UDP;
	else
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", arg + 4);
	colon = strrchr(buf, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (strnum_u64(colon + 1, 1, 65535, &port) < 0)
		return -EINVAL;
	if (buf[0] == '[' && colon > buf + 1 && colon[-1] == ']') {
		colon[-1] = '\0';
		return detect_endpoint_set(ep, buf + 1, (uint16_t)port, proto);
	}
	return detect_endpoint_set(ep, buf, (uint16_t)port, proto);
}

int main(int argc, char **argv)
{
	struct detect_config cfg;
	struct probes_file pf;
	const char *path = PROBES_DEFAULT_PATH;
	bool no_nmap = false, load_only = false, want_stats = false;
	struct detect_endpoint *eps = calloc((size_t)argc, sizeof(*eps));
	struct detect_stats stats = {0};
	size_t n = 0;
	int rc = 0;

	detect_config_default(&cfg);
	probes_init(&pf, on_probe_error, NULL);
	if (!eps)
		return 3;
	for (int i = 1; i < argc; i++) {
		uint64_t v;

		if (strcmp(argv[i], "--probes") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else if (strcmp(argv[i], "--no-nmap") == 0) {
			no_nmap = true;
		} else if (strcmp(argv[i], "--no-tls") == 0) {
			cfg.no_tls = true;
		} else if (strcmp(argv[i], "--no-builtin") == 0) {
			cfg.no_builtin = true;
		} else if (strcmp(argv[i], "--stats") == 0) {
			want_stats = true;
		} else if (strcmp(argv[i], "--load-only") == 0) {
			load_only = true;
		} else if (strcmp(argv[i], "--intensity") == 0 && i + 1 < argc) {
			if (strnum_u64(argv[++i], 0, 9, &v) < 0) {
				fprintf(stderr, "detect-driver: bad --intensity '%s' (0-9)\n",
				        argv[i]);
				rc = 2;
				goto out;
			}
			cfg.intensity = (unsigned)v;
		} else if (strcmp(argv[i], "--max-read") == 0 && i + 1 < argc) {
			if (strnum_u64(argv[++i], 1, 1 << 24, &v) < 0) {
				fprintf(stderr, "detect-driver: bad --max-read '%s'\n", argv[i]);
				rc = 2;
				goto out;
			}
			cfg.max_read = (size_t)v;
		} else if (parse_endpoint(argv[i], &eps[n]) == 0) {
			n++;
		} else {
			fprintf(stderr,
			        "detect-driver: bad argument '%s' (want tcp:ADDR:PORT or "
			        "udp:ADDR:PORT)\n",
			        argv[i]);
			rc = 2;
			goto out;
		}
	}
	if (!no_nmap) {
		char why[256];
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = probes_load_file(&pf, path, why, sizeof(why));
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (rc < 0) {
			fprintf(stderr, "detect-driver: %s\n", why);
			rc = 3;
			goto out;
		}
		if (load_only) {
			printf("{\"probes\":%zu,\"matches\":%u,\"errors\":%u,\"load_ms\":%.3f}\n",
			       pf.n, pf.nmatches, pf.nerrors,
			       (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
			           (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
			goto out;
		}
		cfg.pf = &pf;
	}
	cfg.stats = &stats;
	rc = detect_run(&cfg, eps, n, sink, NULL);
	if (rc < 0) {
		fprintf(stderr, "detect-driver: %s\n", strerror(-rc));
		rc = 3;
		goto out;
	}
	if (want_stats) {
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		printf("{\"type\":\"stats\",\"connections\":%u,\"peak_conns\":%u,\"peak_buffered\":"
		       "%zu,"
		       "\"largest_answer\":%zu,\"max_read\":%zu,\"maxrss_kb\":%ld}\n",
		       stats.connections, stats.peak_conns, stats.peak_buffered,
		       stats.largest_answer, cfg.max_read, ru.ru_maxrss);
	}
out:
	probes_free(&pf);
	free(eps);
	return rc;
}
