/* portscope scan: targets and ports as nmap takes them; -sL lists the targets. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "config.h"
#include "cmd/commands.h"
#include "cmd/common.h"
#include "cmd/scan.h"
#include "net/perm.h"
#include "output/json.h"

static const char scan_usage_text[] =
    "usage: portscope scan [OPTIONS] TARGET...\n"
    "\n"
    "Targets (IPv4 unless -6):\n"
    "  198.18.0.2  fd00:5c09::1  198.18.0.0/24  198.18.0.1-20  198.18.0-3.*  host.name\n"
    "  -iL FILE            targets from FILE ('-' is stdin), '#' starts a comment\n"
    "  --exclude LIST      comma-separated targets to leave out\n"
    "  --excludefile FILE  targets to leave out, from FILE\n"
    "  -6                  IPv6 targets; names resolve to IPv6 addresses\n"
    "  -n                  never resolve names: a host name is an error\n"
    "Ports:\n"
    "  -p LIST             22,80,1000-2000  -p- (1-65535)  T:53,U:53,161 (T: TCP, U: UDP)\n"
    "  --top-ports N, -F   the N (-F: 100) most common ports\n"
    "Scan types:\n"
    "  -sL                 list the targets, send nothing\n"
    "  -sT, -sS, -sU       TCP connect, TCP SYN, UDP\n"
    "Order and output:\n"
    "  --randomize-hosts   list hosts in a random order\n"
    "  --seed N            fixed random order (implies --randomize-hosts)\n"
    "  --json              JSON Lines on stdout\n"
    "  --no-color          no colour\n"
    "  -h, --help          this help\n";

static double scan_elapsed(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Formats an IPv4 address (network order) into buf; returns the length. */
static size_t scan_fmt_v4(const struct in_addr *a, char *buf)
{
	const uint8_t *b = (const uint8_t *)&a->s_addr;
	char *p = buf;

	for (int i = 0; i < 4; i++) {
		unsigned v = b[i];

		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = '.';
	}
	p[-1] = '\0';
	return (size_t)(p - 1 - buf);
}

/* -sL: every target once, in order or permuted, like nmap's list scan. */
static int scan_list(const struct scan_opts *o)
{
	static const char prefix[] = "portscope scan report for ";
	static char obuf[1 << 16];
	const uint64_t n = targetset_count(o->targets);
	struct perm perm;
	struct timespec t0;
	uint64_t seed = o->seed;
	char line[sizeof(prefix) + INET6_ADDRSTRLEN + 1];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	if (o->randomize_hosts && !o->seed_given &&
	    getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		seed = (uint64_t)t0.tv_nsec ^ ((uint64_t)t0.tv_sec << 32);
	perm_init(&perm, n, seed);
	if (!o->json) {
		char when[64];
		time_t now = time(NULL);
		struct tm tm;

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M %Z", localtime_r(&now, &tm));
		printf("Starting portscope %s at %s\n", PORTSCOPE_VERSION, when);
	}
	memcpy(line, prefix, sizeof(prefix) - 1);
	for (uint64_t i = 0; i < n; i++) {
		struct target_addr a;
		char *host = line + sizeof(prefix) - 1;
		size_t len;

		if (targetset_get(o->targets, o->randomize_hosts ? perm_at(&perm, i) : i, &a) < 0)
			break; /* cannot happen: i < count */
		if (a.family == AF_INET) {
			len = scan_fmt_v4(&a.v4, host);
		} else {
			target_addr_str(&a, host, INET6_ADDRSTRLEN);
			len = strlen(host);
		}
		if (o->json) {
			json_t *rec = json_pack("{s:s, s:s}", "type", "target", "host", host);

			if (!rec || json_write_line(stdout, rec) < 0) {
				json_decref(rec);
				break;
			}
			json_decref(rec);
		} else {
			host[len] = '\n';
			fwrite_unlocked(line, 1, sizeof(prefix) + len, stdout);
		}
		if ((i & 0xffff) == 0 && ferror(stdout))
			break;
	}
	if (o->json) {
		json_t *sum =
		    json_pack("{s:s, s:I, s:i, s:I}", "type", "summary", "addresses", (json_int_t)n,
		              "hosts_up", 0, "duration_ms", (json_int_t)(scan_elapsed(&t0) * 1000));

		if (sum)
			json_write_line(stdout, sum);
		json_decref(sum);
	} else {
		printf("portscope done: %llu IP address%s (0 hosts up) scanned in %.2f seconds\n",
		       (unsigned long long)n, n == 1 ? "" : "es", scan_elapsed(&t0));
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cmd_error("scan", "cannot write the list: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

int cmd_scan_main(int argc, char **argv)
{
	struct scan_opts o;
	char why[768];
	int r, rc;

	r = scan_opts_parse(argc, argv, &o, why, sizeof(why));
	if (r < 0) {
		cmd_error("scan", "%s", why);
		scan_opts_free(&o);
		return r == -ENOMEM || r == -EIO ? EXIT_RUNTIME : EXIT_USAGE;
	}
	if (o.help) {
		fputs(scan_usage_text, stdout);
		scan_opts_free(&o);
		return EXIT_OK;
	}
	/*
	 * TODO(lead): when !o.ports_given, fill o.ports from the knowledge base:
	 * kb_top_ports(o.top_ports ? o.top_ports : o.fast ? 100 : 1000, ...).
	 */
	if (o.list_only)
		rc = scan_list(&o);
	else
		rc = cmd_usage("scan", "only the list scan -sL is available in this build "
		                       "(the scan engine is not wired in yet)");
	scan_opts_free(&o);
	return rc;
}
