/* portscope scan: targets and ports as nmap takes them; -sL lists the targets. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "detect/engine.h"
#include "detect/probes.h"
#include "cmd/commands.h"
#include "cmd/common.h"
#include "cmd/interrupt.h"
#include "cmd/scan.h"
#include "knowledge/services.h"
#include "net/perm.h"
#include "output/json.h"
#include "output/out.h"
#include "output/progress.h"
#include "report/outfile.h"
#include "report/prom.h"
#include "scan/discovery.h"
#include "scan/engine.h"
#include "scan/linkpath.h"
#include "scan/svcscan.h"
#include "scan/timing.h"
#include "util/array.h"
#include "util/clock.h"
#include "util/privdrop.h"
#include "util/rlimit.h"
#include "util/seed.h"

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

/* -oN, -oX, -oG, -oJ, --json, four from -oA, and the default: ten at most. */
#define SCAN_MAX_STREAMS 10

/* The outputs of one scan and the progress line: the engine's sink. */
struct scan_cli {
	struct out_stream streams[SCAN_MAX_STREAMS];
	FILE *files[SCAN_MAX_STREAMS]; /* to close; NULL for stdout */
	size_t n;
	bool progress_on;
	struct out_progress progress;
	struct scan_summary summary; /* from on_done */
	int write_error;             /* first output failure */
	struct scan_history history; /* records results as they arrive */
	struct scan_summary sofar;   /* the hosts written so far (an interrupted run's trailer) */
	struct cmd_interrupt intr;   /* SIGINT/SIGTERM: takes lock, then ends the outputs */
	bool append;                 /* --append-output: files are appended to */
	/* -sV */
	struct out_info *info;              /* the streams' info: versions are set per host */
	const struct detect_config *detect; /* NULL without -sV */
	struct svcscan *svc;                /* -sV: the detection worker, hosts as they come */
	int detect_error;                   /* first failure of the detection engine */
	pthread_mutex_t lock;               /* outputs and history: scan and worker both write */
};

#define SCAN_DETECT_CONNS 128 /* -sV: sockets open at once over every host being probed */

/* Whether a -sV result shows that something answered on the port. */
static bool scan_version_answered(const struct detect_result *r)
{
	static const char *const answered[] = {"matched", "softmatch", "partial", "unrecognized"};

	for (size_t i = 0; r->reason && i < ARRAY_SIZE(answered); i++)
		if (strcmp(r->reason, answered[i]) == 0)
			return true;
	return false;
}

/*
 * -sU -sV, as nmap: an open|filtered port that answered a probe is open (udp-response), one
 * that sent port-unreachable is closed; the others keep no version. Fills out as h with the
 * new states and drops those versions from ver. Returns the new state array for the caller to
 * free, or NULL (no memory: h stays as it was).
 */
static uint8_t *scan_udp_promote(const struct scan_host *h, struct scan_host *out,
                                 struct out_version *ver, size_t *nver)
{
	uint8_t *res = malloc(h->nports ? h->nports : 1);
	size_t k = 0, n = 0;

	if (!res)
		return NULL;
	memcpy(res, h->res, h->nports);
	*out = *h;
	for (size_t i = 0; i < h->nports && k < *nver; i++) {
		const struct detect_result *r = ver[k].r;
		bool keep = true;

		if (ver[k].port != h->ports[i])
			continue;
		k++;
		if (scan_res_state(res[i]) == SCAN_OPEN_FILTERED) {
			enum scan_state st = SCAN_OPEN_FILTERED;

			if (scan_version_answered(r)) {
				st = SCAN_OPEN;
				res[i] = scan_res_pack(st, SCAN_REASON_UDP_RESPONSE);
			} else if (r->reason && strcmp(r->reason, "port-unreachable") == 0) {
				st = SCAN_CLOSED;
				res[i] = scan_res_pack(st, SCAN_REASON_PORT_UNREACH);
			}
			out->counts[SCAN_OPEN_FILTERED] -= st != SCAN_OPEN_FILTERED;
			out->counts[st] += st != SCAN_OPEN_FILTERED;
			keep = st == SCAN_OPEN;
		}
		if (keep)
			ver[n++] = ver[k - 1];
	}
	*nver = n;
	out->res = res;
	return res;
}

/* Writes host h to every output (and its -sV versions, ver[0..nver), to the history). */
static void scan_cli_write(struct scan_cli *c, const struct scan_host *h,
                           const struct out_version *ver, size_t nver)
{
	if (h->up) /* hosts down are counted in the run, not kept one by one */
		scan_history_host(&c->history, h, out_hostname(c->info, h));
	if (c->progress_on)
		out_progress_clear(&c->progress);
	if (c->detect) {
		c->info->versions = ver;
		c->info->nversions = nver;
		scan_history_versions(&c->history, h, ver, nver);
	}
	for (size_t i = 0; i < c->n; i++) {
		int r = c->streams[i].fmt->host(&c->streams[i], h);

		if (r < 0 && !c->write_error)
			c->write_error = r;
	}
	c->info->versions = NULL;
	c->info->nversions = 0;
	c->sofar.hosts_total++;
	c->sofar.hosts_up += h->up;
	c->sofar.hosts_timedout += h->timedout;
	for (int st = 0; st < SCAN_STATE_MAX; st++)
		c->sofar.counts[st] += h->counts[st];
}

/* -sV: a host whose open ports are identified (from the detection worker). */
static void scan_cli_detected(void *ctx, struct scan_host *h, const struct svcscan_port *ports,
                              size_t n)
{
	struct scan_cli *c = ctx;
	struct out_version *ver = n ? calloc(n, sizeof(*ver)) : NULL;
	struct scan_host promoted;
	uint8_t *promoted_res = NULL;
	size_t nver = ver ? n : 0;

	pthread_mutex_lock(&c->lock);
	if (n && !ver && !c->detect_error)
		c->detect_error = -ENOMEM;
	for (size_t i = 0; ver && i < n; i++)
		ver[i] = (struct out_version){.port = ports[i].port, .r = &ports[i].r};
	/* -sU: open|filtered ports that answered a probe are open, the others stay as they were */
	if (nver && h->proto == IPPROTO_UDP &&
	    (promoted_res = scan_udp_promote(h, &promoted, ver, &nver)))
		h = &promoted;
	scan_cli_write(c, h, ver, nver);
	pthread_mutex_unlock(&c->lock);
	free(promoted_res);
	free(ver);
}

/*
 * -sV: hands an up host to the detection worker with its open ports (TCP, or
 * open and open|filtered UDP ports), ascending; the worker writes it when they
 * are identified, while the scan goes on. Called without c->lock.
 */
static void scan_cli_detect(struct scan_cli *c, const struct scan_host *h)
{
	bool udp = h->proto == IPPROTO_UDP;
	size_t nopen = (size_t)(h->counts[SCAN_OPEN] + (udp ? h->counts[SCAN_OPEN_FILTERED] : 0));
	size_t n = 0;
	uint16_t *ports = NULL;
	int r;

	if (h->timedout || (h->proto != IPPROTO_TCP && h->proto != IPPROTO_UDP))
		nopen = 0;
	if (nopen && !(ports = calloc(nopen, sizeof(*ports)))) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < h->nports && n < nopen; i++) {
		enum scan_state st = scan_res_state(h->res[i]);

		/* nmap probes open|filtered UDP ports too: an answer shows them open */
		if (st == SCAN_OPEN || (udp && st == SCAN_OPEN_FILTERED))
			ports[n++] = h->ports[i];
	}
	r = svcscan_add(c->svc, h, ports, n, h->proto == IPPROTO_UDP ? PROBES_UDP : PROBES_TCP);
	free(ports);
	if (r == -ENOMEM)
		goto fail;
	if (r < 0) {
		pthread_mutex_lock(&c->lock);
		c->detect_error = c->detect_error ? c->detect_error : r;
		pthread_mutex_unlock(&c->lock);
	}
	return;
fail:
	pthread_mutex_lock(&c->lock);
	c->detect_error = c->detect_error ? c->detect_error : r;
	scan_cli_write(c, h, NULL, 0); /* the host, without versions */
	pthread_mutex_unlock(&c->lock);
}

static void scan_cli_done(void *ctx, const struct scan_summary *sum)
{
	struct scan_cli *c = ctx;

	pthread_mutex_lock(&c->lock);
	c->summary = *sum;
	pthread_mutex_unlock(&c->lock);
}

static void scan_cli_host(void *ctx, const struct scan_host *h)
{
	struct scan_cli *c = ctx;

	if (c->svc && h->up) {
		scan_cli_detect(c, h); /* not under the lock: the worker may hold it up */
		return;
	}
	pthread_mutex_lock(&c->lock);
	scan_cli_write(c, h, NULL, 0);
	pthread_mutex_unlock(&c->lock);
}

static void scan_cli_port(void *ctx, const struct scan_result *r)
{
	struct scan_cli *c = ctx;

	pthread_mutex_lock(&c->lock);
	scan_history_port(&c->history, r);
	pthread_mutex_unlock(&c->lock);
}

static void scan_cli_checkpoint(void *ctx, const struct scan_checkpoint *c)
{
	struct scan_cli *cli = ctx;

	scan_history_checkpoint(&cli->history, c);
}

static void scan_cli_progress(void *ctx, const struct scan_progress *p)
{
	struct scan_cli *c = ctx;

	pthread_mutex_lock(&c->lock);
	scan_history_tick(&c->history);
	if (c->progress_on)
		out_progress_update(&c->progress, p);
	pthread_mutex_unlock(&c->lock);
}

/* Adds an output of format fmt to path ('-' is stdout). */
static int scan_cli_add(struct scan_cli *c, const struct out_format *fmt, const char *path,
                        const struct out_info *info)
{
	struct out_stream *s = &c->streams[c->n];
	FILE *f = stdout;

	if (c->n == SCAN_MAX_STREAMS)
		return cmd_usage("scan", "too many outputs");
	if (strcmp(path, "-") != 0) {
		f = fopen(path, c->append ? "ae" : "we");
		if (!f)
			return cmd_usage("scan", "cannot write '%s': %s", path, strerror(errno));
	}
	*s = (struct out_stream){.fmt = fmt, .f = f, .info = info};
	c->files[c->n] = f == stdout ? NULL : f;
	c->n++;
	return EXIT_OK;
}

/* Adds -oA BASE: one file per format, BASE + the format's extension. */
static int scan_cli_add_all(struct scan_cli *c, const char *base, const struct out_info *info)
{
	for (size_t i = 0; out_formats[i]; i++) {
		size_t len = strlen(base) + strlen(out_formats[i]->ext) + 1;
		char *path;
		int rc;

		if (!out_formats[i]->begin)
			continue; /* not in this build */
		path = malloc(len);
		if (!path)
			return EXIT_RUNTIME;
		snprintf(path, len, "%s%s", base, out_formats[i]->ext);
		rc = scan_cli_add(c, out_formats[i], path, info);
		free(path);
		if (rc != EXIT_OK)
			return rc;
	}
	return EXIT_OK;
}

/* The outputs the options ask for; normal output on stdout when nothing else is there. */
static int scan_cli_outputs(struct scan_cli *c, const struct scan_opts *o,
                            const struct out_info *info)
{
	bool stdout_taken = false;
	int rc;

	c->append = o->append_output;
	for (size_t i = 0; i <= o->noutputs; i++) {
		const struct scan_output *out = i < o->noutputs ? &o->outputs[i] : NULL;
		struct scan_output json = {.fmt = &out_jsonl, .path = "-"};

		if (!out && !o->json)
			break;
		if (!out)
			out = &json; /* --json: JSON Lines on stdout */
		if (strcmp(out->path, "-") == 0) {
			if (stdout_taken)
				return cmd_usage("scan", "two outputs on stdout ('-'): choose one");
			stdout_taken = true;
		}
		rc = scan_cli_add(c, out->fmt, out->path, info);
		if (rc != EXIT_OK)
			return rc;
	}
	if (o->out_all) {
		rc = scan_cli_add_all(c, o->out_all, info);
		if (rc != EXIT_OK)
			return rc;
	}
	if (!stdout_taken)
		return scan_cli_add(c, &out_normal, "-", info);
	return EXIT_OK;
}

static void scan_cli_close(struct scan_cli *c)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->files[i] && fclose(c->files[i]) != 0 && !c->write_error)
			c->write_error = -EIO;
	c->n = 0;
}

/*
 * The seed of shards run without --seed: one the shards of a scan agree on,
 * as they run the same command (targets, ports, technique) on other machines.
 */
static uint64_t scan_shared_seed(const struct scan_opts *o, const struct portlist *ports,
                                 const struct scan_technique *tech)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const char *p = o->target_words ? o->target_words : ""; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	for (size_t i = 0; i < ports->n; i++)
		h = (h ^ ports->ports[i]) * 0x100000001b3ull;
	for (const char *p = tech->name; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	return h;
}

/* The engine's configuration from the options. Returns EXIT_OK or EXIT_USAGE. */
static int scan_build_config(const struct scan_opts *o, const struct portlist *ports,
                             const struct scan_technique *tech, struct scan_config *cfg)
{
	unsigned level = o->timing >= 0 ? (unsigned)o->timing : 3;

	if (scan_config_defaults(cfg, level) < 0)
		return cmd_usage("scan", "-T%u: no such timing template", level);
	cfg->targets = o->targets;
	cfg->ports = ports;
	cfg->tech = tech;
	if (o->seed_given)
		cfg->seed = o->seed;
	else if (o->shard.count)
		cfg->seed = scan_shared_seed(o, ports, tech);
	cfg->shard = o->shard;
	cfg->randomize_hosts = o->randomize_hosts;
	cfg->drop_privileges = tech && tech->needs_raw;
	cfg->sources = o->sources;
	cfg->nsources = o->nsources;
	cfg->send_ip = o->send_ip;
	if (o->max_retries >= 0)
		cfg->cc.max_retries = (unsigned)o->max_retries;
	if (o->host_timeout_ms)
		cfg->host_timeout_us = o->host_timeout_ms * 1000;
	cfg->hostgroup = o->max_hostgroup;
	cfg->cc.min_rate = (double)o->min_rate;
	cfg->cc.max_rate = (double)o->max_rate;
	if (o->min_rate && o->timing >= 0 && o->timing <= 2)
		cfg->cc.scan_delay_us = 0; /* as nmap: --min-rate overrides the template's delay */
	return EXIT_OK;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* Prints the first few malformed lines of a probe file as warnings. */
static void scan_probes_warning(void *ctx, unsigned line, const char *msg)
{
	unsigned *n = ctx;

	(void)line;
	if ((*n)++ < 5)
		fprintf(stderr, "portscope scan: warning: probe file %s\n", msg);
}

/*
 * -sV setup: the probe file (--probes FILE, else nmap's when installed, else
 * built-in probes only) and the engine's configuration. Returns EXIT_OK,
 * EXIT_USAGE (--probes FILE unreadable) or EXIT_RUNTIME.
 */
static int scan_detect_setup(const struct scan_opts *o, struct probes_file *pf, unsigned *nwarn,
                             struct detect_config *dc)
{
	const char *path = o->probes_file;
	char why[512];
	int r;

	detect_config_default(dc);
	/*
	 * Many hosts are probed at once: fewer sockets than one host alone may
	 * take, or busy servers (sshd forks per connection) answer past the
	 * deadlines.
	 */
	if (dc->max_conns > SCAN_DETECT_CONNS)
		dc->max_conns = SCAN_DETECT_CONNS;
	if (o->version_intensity >= 0)
		dc->intensity = (unsigned)o->version_intensity;
	probes_init(pf, scan_probes_warning, nwarn);
	if (!path && access(PROBES_DEFAULT_PATH, R_OK) == 0)
		path = PROBES_DEFAULT_PATH;
	if (!path)
		return EXIT_OK; /* built-in probes only */
	why[0] = '\0';
	r = probes_load_file(pf, path, why, sizeof(why));
	if (r < 0) {
		probes_free(pf);
		if (r == -ENOMEM) {
			cmd_error("scan", "-sV: out of memory loading the probe file %s", path);
			return EXIT_RUNTIME;
		}
		return o->probes_file ? cmd_usage("scan", "--probes: %s", why) : EXIT_OK;
	}
	if (*nwarn > 5)
		fprintf(stderr,
		        "portscope scan: warning: probe file %s: %u malformed lines skipped\n",
		        path, *nwarn);
	dc->pf = pf;
	return EXIT_OK;
}

/*
 * The technique the options ask for (one: -sU with -sS is refused), else SYN
 * when this process may open raw sockets, connect with a note otherwise.
 * Returns EXIT_OK with *tech set, or EXIT_USAGE / EXIT_RUNTIME after the message.
 */
static int scan_pick_technique(const struct scan_opts *o, const struct scan_technique **tech)
{
	bool raw = privdrop_have_net_raw();

	if (o->ntechs > 1)
		return cmd_usage("scan", "%s with %s: one scan type per run for now",
		                 o->techs[1]->flag, o->techs[0]->flag);
	*tech = o->ntechs ? o->techs[0] : scan_technique_find(raw ? "syn" : "connect");
	if (!o->ntechs && !raw)
		fprintf(stderr, "portscope scan: note: no CAP_NET_RAW, so a TCP connect scan (-sT) "
		                "instead of a SYN scan (-sS)\n");
	if ((*tech)->unavailable)
		return cmd_usage("scan", "%s is %s", (*tech)->flag, (*tech)->unavailable);
	if ((*tech)->needs_raw && !raw) {
		const struct scan_technique *alt = NULL;

		for (size_t i = 0; scan_techniques[i] && !alt; i++)
			if (scan_techniques[i]->proto == (*tech)->proto &&
			    !scan_techniques[i]->needs_raw)
				alt = scan_techniques[i];
		cmd_error("scan",
		          "%s needs CAP_NET_RAW (root, or group portscope: see PRIVILEGES in "
		          "portscope(1))%s%s",
		          (*tech)->flag, alt ? ": use " : "", alt ? alt->flag : "");
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/*
 * Host discovery as the options ask (nothing with -Pn): fills dc and points
 * cfg at it. Crafted probes with CAP_NET_RAW (privileges are dropped once the
 * sockets are open), else connect(). Returns EXIT_OK or EXIT_RUNTIME (-PU
 * without CAP_NET_RAW).
 */
static int scan_discovery(const struct scan_opts *o, struct scan_config *cfg,
                          struct disc_config *dc)
{
	bool raw = privdrop_have_net_raw();

	if (o->no_ping)
		return EXIT_OK;
	*dc = (struct disc_config){
	    .targets = o->targets,
	    .raw = raw,
	    .arp = !o->disable_arp && !o->send_ip,
	    .send_ip = o->send_ip,
	    .icmp = o->ping_icmp,
	    .syn_ports = o->ping_syn_given ? &o->ping_syn : NULL,
	    .ack_ports = o->ping_ack_given ? &o->ping_ack : NULL,
	    .udp_ports = o->ping_udp_given ? &o->ping_udp : NULL,
	    .cc = cfg->cc,
	    .seed = cfg->seed,
	    .randomize_hosts = cfg->randomize_hosts,
	};
	if (!raw && o->ping_udp_given) {
		cmd_error("scan", "-PU needs CAP_NET_RAW (root or a file capability)");
		return EXIT_RUNTIME;
	}
	if (!raw && o->ping_icmp) {
		fprintf(stderr, "portscope scan: note: no CAP_NET_RAW, so host discovery by TCP "
		                "connect() instead of ICMP (-PE, -PP, -PM)\n");
		dc->icmp = 0;
	}
	if (raw)
		cfg->drop_privileges = true;
	cfg->discover = dc;
	return EXIT_OK;
}

/* -sn -Pn: every target up (user-set), nothing sent. */
static int scan_assume_up(const struct scan_config *cfg, const struct scan_sink *sink)
{
	struct scan_summary sum = {.start = clock_wall()};
	uint64_t n = targetset_count(cfg->targets);

	for (uint64_t i = 0; i < n; i++) {
		struct scan_host h = {.up = true, .reason = SCAN_REASON_USER_SET};

		if (targetset_get(cfg->targets, i, &h.addr) < 0)
			return -ERANGE;
		h.start = h.end = clock_wall();
		if (sink->on_host_done)
			sink->on_host_done(sink->ctx, &h);
	}
	sum.hosts_total = sum.hosts_up = n;
	sum.end = clock_wall();
	if (sink->on_done)
		sink->on_done(sink->ctx, &sum);
	return 0;
}

/* --source-ip: a raw scan, and every address one of ours. EXIT_OK or EXIT_USAGE. */
static int scan_check_sources(const struct scan_opts *o, const struct scan_technique *tech)
{
	char a[INET6_ADDRSTRLEN];

	if (o->nsources && (!tech || !tech->needs_raw))
		return cmd_usage("scan", "--source-ip needs a raw scan (-sS or -sU), which needs "
		                         "CAP_NET_RAW");
	for (size_t i = 0; i < o->nsources; i++) {
		if (linkpath_local(&o->sources[i]) < 0)
			return cmd_usage("scan",
			                 "--source-ip: %s is not an address of this machine",
			                 target_addr_str(&o->sources[i], a, sizeof(a)));
	}
	return EXIT_OK;
}

/* One run of the engine: what scan_engine() sets up, runs and releases. */
struct scan_job {
	struct scan_cli cli;
	const struct scan_technique *tech;
	const struct portlist *ports; /* -p's of tech->proto, or fallback */
	struct portlist fallback;     /* the most common ports, without -p */
	struct kb *kb;
	struct probes_file pf;
	struct detect_config dc;
	unsigned nwarn;
	struct out_info info;
	struct scan_config cfg;
	struct disc_config disc; /* host discovery, unless -Pn */
	bool ping_only;          /* -sn: no port scan */
	char *args;
	char *argv_json;                  /* the command line as a JSON array, for --resume */
	const struct scan_resume *resume; /* continuing an interrupted run */
	size_t begun;                     /* outputs begun */
};

/* The ports of the technique's protocol: -p, else the most common ones. An exit status. */
static int scan_ports(struct scan_job *j, const struct scan_opts *o)
{
	bool udp = j->tech->proto == IPPROTO_UDP;
	size_t n = o->top_ports ? o->top_ports : o->fast ? 100 : 1000;
	uint16_t *top;
	int got;

	j->ports = udp ? &o->ports.udp : &o->ports.tcp;
	if (o->ports_given && j->ports->n == 0)
		return cmd_usage("scan", "-p names no %s port: a %s scan needs some (%s:PORTS)",
		                 udp ? "UDP" : "TCP", j->tech->name, udp ? "U" : "T");
	if (o->ports_given)
		return EXIT_OK;
	/* nmap's default: the most common ports (nmap-services frequencies). */
	top = calloc(n, sizeof(*top));
	got = top ? kb_top_ports(j->kb, udp ? KB_PROTO_UDP : KB_PROTO_TCP, n, top) : -ENOMEM;
	if (got < 0) {
		free(top);
		return EXIT_RUNTIME;
	}
	/* Distinct ports; a port list is kept sorted. */
	qsort(top, (size_t)got, sizeof(*top), cmp_u16);
	j->fallback = (struct portlist){.ports = top, .n = (size_t)got};
	j->ports = &j->fallback;
	return EXIT_OK;
}

/* out_info's hostname(): the name a target was given by (-iL lines too). */
static const char *scan_target_name(const void *ctx, const struct target_addr *a)
{
	return targetset_name(ctx, a);
}

/* What every run's out_info says whatever it scans: -v, -d, the stylesheet, target names. */
static void scan_out_info_common(struct out_info *info, const struct scan_opts *o)
{
	info->verbose = o->verbose;
	info->debugging = o->debugging;
	info->stylesheet = o->stylesheet;
	info->hostname = scan_target_name;
	info->hostname_ctx = o->targets;
}

/* The screen gets the header and colour; files (-oN, -oA) get nmap's comment lines. */
static void scan_cli_screen(struct scan_cli *c, const struct scan_opts *o)
{
	for (size_t i = 0; i < c->n; i++) {
		struct out_stream *s = &c->streams[i];

		s->interactive = s->fmt == &out_normal && s->f == stdout;
		s->color = s->interactive && cmd_use_color(stdout, o->no_color);
	}
}

/* Everything before the first probe: technique, ports, outputs, -sV, history. */
static int scan_setup(struct scan_job *j, const struct scan_opts *o, const struct cmd_args *a)
{
	char why[512];
	int rc = o->ping_only ? EXIT_OK : scan_pick_technique(o, &j->tech);

	j->ping_only = o->ping_only;
	if (rc == EXIT_OK)
		rc = scan_check_sources(o, j->tech);
	if (rc != EXIT_OK)
		return rc;
	if (!o->ping_only && kb_load(NULL, &j->kb, why, sizeof(why)) < 0)
		j->kb = NULL; /* no services files: no names, built-in port ranking */
	rc = o->ping_only ? EXIT_OK : scan_ports(j, o); /* -sn: no ports at all */
	j->args = rc == EXIT_OK ? cmd_join("portscope", a->argc, a->argv) : NULL;
	if (rc != EXIT_OK || !j->args)
		return rc != EXIT_OK ? rc : EXIT_RUNTIME;
	rlimit_raise_nofile(); /* more descriptors for probes */
	j->info = (struct out_info){
	    .version = PORTSCOPE_VERSION,
	    .args = j->args,
	    .scan_type = j->tech ? j->tech->xml_type : NULL,
	    .proto = j->tech ? j->tech->proto : 0,
	    .ports = j->ports,
	    .verbose = o->verbose,
	    .discovery = !o->no_ping,
	    .open_only = o->open_only,
	    .reason = o->reason,
	    .start = clock_wall(),
	    .kb = j->kb,
	    .version_scan = o->version,
	};
	scan_out_info_common(&j->info, o);
	rc = o->version ? scan_detect_setup(o, &j->pf, &j->nwarn, &j->dc) : EXIT_OK;
	if (rc == EXIT_OK && o->version)
		j->cli.detect = &j->dc;
	if (rc == EXIT_OK)
		rc = scan_cli_outputs(&j->cli, o, &j->info);
	scan_cli_screen(&j->cli, o);
	if (rc == EXIT_OK)
		rc = scan_build_config(o, j->ports, j->tech, &j->cfg);
	if (rc == EXIT_OK)
		rc = scan_discovery(o, &j->cfg, &j->disc);
	if (rc == EXIT_OK && j->resume) {
		/* The run's own order and split, from where its checkpoint left it. */
		j->cfg.seed = j->resume->seed;
		j->cfg.shard = j->resume->shard;
		j->cfg.resume = j->resume->has_cp ? &j->resume->cp.c : NULL;
	}
	if (rc == EXIT_OK) {
		j->argv_json = cmd_argv_json(a->argc, a->argv);
		rc = j->argv_json
		         ? scan_history_open(&j->cli.history, o, &j->info, &j->cfg, j->argv_json)
		         : EXIT_RUNTIME;
	}
	if (rc == EXIT_OK && j->resume)
		j->cli.history.prior_up = j->resume->cp.hosts_up;
	return rc;
}

/* -sV: waits for the last hosts' services; the run took until they were known. */
static void scan_detect_end(struct scan_cli *cli)
{
	int d = svcscan_finish(cli->svc);
	double now = clock_wall();

	cli->svc = NULL;
	if (cli->summary.end > 0 && now > cli->summary.end) {
		cli->summary.elapsed += now - cli->summary.end;
		cli->summary.end = now;
	}
	if (d < 0 && !cli->detect_error)
		cli->detect_error = d;
}

/* Writes every output's header. An exit status. */
static int scan_begin_outputs(struct scan_job *j)
{
	struct scan_cli *cli = &j->cli;

	for (; j->begun < cli->n; j->begun++) {
		int r = cli->streams[j->begun].fmt->begin(&cli->streams[j->begun]);

		if (r < 0) {
			cmd_error("scan", "cannot write the output: %s", strerror(-r));
			return EXIT_RUNTIME;
		}
	}
	return EXIT_OK;
}

/* Begins the outputs and runs the engine into them. An exit status. */
static int scan_go(struct scan_job *j)
{
	struct scan_cli *cli = &j->cli;
	struct scan_sink sink = {.ctx = cli,
	                         .on_port = scan_cli_port,
	                         .on_host_done = scan_cli_host,
	                         .on_progress = scan_cli_progress,
	                         .on_done = scan_cli_done,
	                         .on_checkpoint = cli->history.st ? scan_cli_checkpoint : NULL};
	char why[512] = "";
	int r = scan_begin_outputs(j);

	if (r != EXIT_OK)
		return r;
	cli->progress_on = cmd_is_smart_terminal(stderr);
	r = cli->detect
	        ? svcscan_start(&cli->svc, cli->detect, SVCSCAN_PER_HOST, scan_cli_detected, cli)
	        : 0;
	if (r == 0 && j->ping_only && !j->cfg.discover)
		r = scan_assume_up(&j->cfg, &sink);
	else if (r == 0)
		r = scan_run(&j->cfg, &sink, why, sizeof(why));
	if (cli->svc)
		scan_detect_end(cli);
	if (cli->progress_on)
		out_progress_clear(&cli->progress);
	if (r < 0) {
		cmd_error("scan", "%s", why[0] ? why : strerror(-r));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* Every begun output gets its trailer; the files are closed. */
static void scan_end_outputs(struct scan_job *j, const struct scan_summary *sum)
{
	struct scan_cli *cli = &j->cli;

	for (size_t i = 0; i < j->begun; i++) {
		int r = cli->streams[i].fmt->end(&cli->streams[i], sum);

		if (r < 0 && !cli->write_error)
			cli->write_error = r;
	}
	j->begun = 0;
	scan_cli_close(cli);
}

/*
 * SIGINT or SIGTERM (the signal thread, with the writers' lock held): the
 * outputs end with the hosts written so far and say why, the history run is
 * marked interrupted. The process then dies of the signal.
 */
static void scan_on_signal(void *ctx, int sig)
{
	struct scan_job *j = ctx;
	struct scan_cli *cli = &j->cli;
	struct scan_summary sum = cli->sofar;

	if (cli->progress_on)
		out_progress_clear(&cli->progress);
	j->info.status = "interrupted";
	j->info.signal = cmd_signal_name(sig);
	sum.start = j->info.start;
	sum.end = clock_wall();
	sum.elapsed = sum.end - sum.start;
	scan_end_outputs(j, &sum);
	fflush(stdout);
	scan_history_close(&cli->history, &sum, STORE_RUN_INTERRUPTED);
	cmd_error("scan", "interrupted by %s: %llu host%s finished and written%s", j->info.signal,
	          (unsigned long long)sum.hosts_total, sum.hosts_total == 1 ? "" : "s",
	          cli->history.run ? "; the history run is marked interrupted" : "");
}

/* Every begun output gets its trailer, the history its end, even on failure. */
static int scan_finish(struct scan_job *j, int rc)
{
	struct scan_cli *cli = &j->cli;
	int r;

	cmd_interrupt_stop(&cli->intr);
	scan_end_outputs(j, &cli->summary);
	r = scan_history_close(&cli->history, &cli->summary,
	                       rc == EXIT_OK ? STORE_RUN_COMPLETE : STORE_RUN_INCOMPLETE);
	if (rc == EXIT_OK)
		rc = r;
	if (rc == EXIT_OK && cli->write_error) {
		cmd_error("scan", "cannot write the output: %s", strerror(-cli->write_error));
		rc = EXIT_RUNTIME;
	}
	if (rc == EXIT_OK && cli->detect_error) {
		cmd_error("scan", "service detection failed: %s", strerror(-cli->detect_error));
		rc = EXIT_RUNTIME;
	}
	probes_free(&j->pf);
	free(j->args);
	free(j->argv_json);
	portlist_free(&j->fallback);
	kb_free(j->kb);
	return rc;
}

/*
 * -sL to the screen alone: every target once, in order or permuted, as nmap's
 * list scan, a million lines a second (no format layer per address).
 */
static int scan_list_fast(const struct scan_opts *o)
{
	static const char prefix[] = "portscope scan report for ";
	static char obuf[1 << 16];
	const uint64_t n = targetset_count(o->targets);
	struct perm perm;
	double t0 = clock_mono();
	uint64_t seed = o->randomize_hosts && !o->seed_given ? seed_random() : o->seed;
	char line[sizeof(prefix) + INET6_ADDRSTRLEN + 1];

	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	perm_init(&perm, n, seed);
	{
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
		host[len] = '\n';
		fwrite_unlocked(line, 1, sizeof(prefix) + len, stdout);
		if ((i & 0xffff) == 0 && ferror(stdout))
			break;
	}
	printf("portscope done: %llu IP address%s (0 hosts up) scanned in %.2f seconds\n",
	       (unsigned long long)n, n == 1 ? "" : "es", clock_mono() - t0);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cmd_error("scan", "cannot write the list: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* The run's metrics into --prometheus FILE. Returns EXIT_OK or EXIT_RUNTIME after reporting. */
static int scan_write_prometheus(const struct scan_opts *o, struct outfile_keeper *k, int proto,
                                 const struct scan_summary *sum)
{
	uint64_t open = sum->counts[SCAN_OPEN];
	struct prom_run pr = {
	    .kind = "scan",
	    .targets = o->target_words,
	    .tcp = proto != IPPROTO_UDP,
	    .udp = proto == IPPROTO_UDP,
	    .open_tcp = proto != IPPROTO_UDP ? open : 0,
	    .open_udp = proto == IPPROTO_UDP ? open : 0,
	    .reachable = open,
	    .hosts_up = sum->hosts_up,
	    .end = sum->end,
	    .duration = sum->elapsed,
	};
	char why[PATH_MAX + 128] = "";

	if (prom_send(k, &pr, why, sizeof(why)) < 0) {
		cmd_error("scan", "--prometheus: %s", why);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/*
 * -sL into the output formats (-oX, -oG, -oJ, --json, -oA, -oN FILE): each
 * target as a host that was listed, not scanned (XML status "unknown",
 * grepable "Status: Unknown", JSON "target" records). An exit status.
 */
static int scan_list(struct scan_job *j, const struct scan_opts *o, const struct cmd_args *a)
{
	const uint64_t n = targetset_count(o->targets);
	uint64_t seed = o->randomize_hosts && !o->seed_given ? seed_random() : o->seed;
	struct scan_cli *cli = &j->cli;
	double t0 = clock_mono();
	struct perm perm;
	int rc;

	if (o->noutputs == 0 && !o->out_all && !o->json && !targetset_name_count(o->targets))
		return scan_list_fast(o);
	j->args = cmd_join("portscope", a->argc, a->argv);
	if (!j->args)
		return EXIT_RUNTIME;
	j->info = (struct out_info){
	    .version = PORTSCOPE_VERSION,
	    .args = j->args,
	    .scan_type = "list",
	    .proto = IPPROTO_TCP,
	    .ports = &j->fallback,
	    .start = clock_wall(),
	    .list_only = true,
	};
	scan_out_info_common(&j->info, o);
	rc = scan_cli_outputs(cli, o, &j->info);
	scan_cli_screen(cli, o);
	if (rc == EXIT_OK)
		rc = scan_begin_outputs(j);
	if (rc == EXIT_OK)
		cmd_interrupt_start(&cli->intr, &cli->lock, scan_on_signal,
		                    j); /* or plain signals */
	perm_init(&perm, n, seed);
	for (uint64_t i = 0; rc == EXIT_OK && i < n && !cli->write_error; i++) {
		struct scan_host h = {.proto = IPPROTO_TCP};

		if (targetset_get(o->targets, o->randomize_hosts ? perm_at(&perm, i) : i, &h.addr) <
		    0)
			break; /* cannot happen: i < count */
		pthread_mutex_lock(&cli->lock);
		scan_cli_write(cli, &h, NULL, 0);
		pthread_mutex_unlock(&cli->lock);
	}
	cli->summary = cli->sofar;
	cli->summary.hosts_up = 0;
	cli->summary.start = j->info.start;
	cli->summary.end = clock_wall();
	cli->summary.elapsed = clock_mono() - t0;
	return rc;
}

/* Sets up and runs one scan of o (a: its command line), resume: the run it continues. */
static int scan_job_run(const struct scan_opts *o, const struct cmd_args *a,
                        const struct scan_resume *resume, struct outfile_keeper *prom)
{
	struct scan_job j = {.cli = {.progress = {.f = stderr}, .lock = PTHREAD_MUTEX_INITIALIZER},
	                     .resume = resume};
	int rc;

	probes_init(&j.pf, NULL, NULL);
	j.cli.info = &j.info;
	if (o->list_only) {
		rc = scan_list(&j, o, a);
	} else {
		rc = scan_setup(&j, o, a);
		if (rc == EXIT_OK) /* or plain signals */
			cmd_interrupt_start(&j.cli.intr, &j.cli.lock, scan_on_signal, &j);
		if (rc == EXIT_OK)
			rc = scan_go(&j);
	}
	rc = scan_finish(&j, rc);
	if (!o->list_only && rc == EXIT_OK && o->prometheus && prom)
		rc = scan_write_prometheus(o, prom, j.tech->proto, &j.cli.summary);
	return rc;
}

/* --resume [RUN]: the interrupted run again, with its options, from its checkpoint. */
static int scan_resume(const struct scan_opts *o)
{
	struct scan_resume rs = {0};
	struct scan_opts run;
	int rc = scan_resume_load(o, &rs, &run);

	if (rc == EXIT_OK)
		rc = scan_job_run(&run, &rs.args, &rs, NULL);
	scan_opts_free(&run);
	scan_resume_free(&rs);
	return rc;
}

/*
 * --resume-or-start: this command line's own interrupted run, continued, or a
 * new run when it has none (a retried Job pod, Slurm task, or a rerun by hand).
 */
static int scan_resume_or_start(struct scan_opts *o, const struct cmd_args *a,
                                struct outfile_keeper *prom)
{
	char *argv_json = cmd_argv_json(a->argc, a->argv);
	int64_t run = 0;
	int rc = argv_json ? scan_resume_lookup(o, argv_json, &run) : EXIT_RUNTIME;

	free(argv_json);
	if (rc != EXIT_OK)
		return rc;
	if (!run)
		return scan_job_run(o, a, NULL, prom);
	if (o->shard.count)
		cmd_error("scan", "continuing run %lld (shard %u/%u) from its last checkpoint",
		          (long long)run, o->shard.index, o->shard.count);
	else
		cmd_error("scan", "continuing run %lld from its last checkpoint", (long long)run);
	o->resume_run = run;
	return scan_resume(o);
}

int scan_cmd_run(const struct cmd_args *a)
{
	struct outfile_keeper prom = {0};
	struct scan_opts o;
	char why[PATH_MAX + 128];
	int r, rc;

	r = scan_opts_from_args(a, &o, why, sizeof(why));
	if (r < 0) {
		cmd_error("scan", "%s", why);
		scan_opts_free(&o);
		return r == -ENOMEM || r == -EIO ? EXIT_RUNTIME : EXIT_USAGE;
	}
	if (!o.list_only && !o.resume && o.prometheus &&
	    outfile_keep(&prom, o.prometheus, why, sizeof(why)) < 0) {
		/* The keeper is forked before any thread, and before a raw scan gives up root. */
		cmd_error("scan", "--prometheus: %s", why);
		scan_opts_free(&o);
		return EXIT_USAGE;
	}
	/* Before any thread (and after the keeper): the engines' threads never see SIGINT/SIGTERM.
	 */
	cmd_interrupt_block();
	rc = o.resume            ? scan_resume(&o)
	     : o.resume_or_start ? scan_resume_or_start(&o, a, &prom)
	                         : scan_job_run(&o, a, NULL, &prom);
	outfile_keeper_cancel(&prom); /* a failed run leaves the file as it was */
	scan_opts_free(&o);
	return rc;
}
