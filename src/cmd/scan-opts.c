/* The options of `portscope scan`, nmap's where they exist (see scan.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/commands.h"
#include "cmd/scan.h"
#include "output/out.h"
#include "scan/discovery.h"
#include "scan/technique.h"
#include "scan/timing.h"
#include "util/array.h"
#include "util/strnum.h"
#include "util/why.h"

/* Sets the reason; returns -EINVAL (a bad option). */
#define why_fail(why, whylen, ...) why_err(why, whylen, -EINVAL, __VA_ARGS__)

enum {
	OPT_IL = CMD_OPT_OWN,
	OPT_EXCLUDE,
	OPT_EXCLUDEFILE,
	OPT_TOP_PORTS,
	OPT_SEND_IP,
	OPT_SEND_ETH,
	OPT_VERSION_INTENSITY,
	OPT_VERSION_LIGHT,
	OPT_VERSION_ALL,
	OPT_PROBES,
	OPT_MIN_RATE,
	OPT_MAX_RATE,
	OPT_MAX_RETRIES,
	OPT_HOST_TIMEOUT,
	OPT_RANDOMIZE_HOSTS,
	OPT_SEED,
	OPT_OPEN,
	OPT_REASON,
	OPT_NO_HISTORY,
	OPT_PROMETHEUS,
	OPT_SHARD,
	OPT_SHARD_COUNT,
	OPT_RESUME,
	OPT_RESUME_OR_START,
	OPT_DISABLE_ARP,
	OPT_VV,
	OPT_APPEND_OUTPUT,
	OPT_STYLESHEET,
	OPT_WEBXML,
	OPT_NO_STYLESHEET,
	OPT_MAX_HOSTGROUP,
};

/* nmap's stylesheet on the web (--webxml), and the copy nmap installs. */
#define SCAN_XSL_WEB   "https://nmap.org/svn/docs/nmap.xsl"
#define SCAN_XSL_LOCAL "/usr/share/nmap/nmap.xsl"

/* -sX: the techniques of the registry, then -sL, -sn and -sV. */
static bool scan_type_choice(size_t i, struct cmd_choice *c)
{
	static const struct cmd_choice more[] = {
	    {.word = "L", .help = "list the targets, send nothing"},
	    {.word = "n", .help = "host discovery only, no port scan"},
	    {.word = "V", .help = "find out which service answers on each open port"},
	};
	size_t n = 0;

	while (scan_techniques[n])
		n++;
	if (i < n)
		*c = (struct cmd_choice){.word = scan_techniques[i]->flag + 2,
		                         .help = scan_techniques[i]->help};
	else if (i - n < ARRAY_SIZE(more))
		*c = more[i - n];
	else
		return false;
	return true;
}

/* -PX: the host discovery probes (-Pn: none). */
static bool ping_choice(size_t i, struct cmd_choice *c)
{
	static const struct cmd_choice all[] = {
	    {.word = "n", .help = "no host discovery: every target is up"},
	    {.word = "S", .metavar = "[PORTS]", .help = "TCP SYN to PORTS (default 80): -PS22,443"},
	    {.word = "A", .metavar = "[PORTS]", .help = "TCP ACK to PORTS (default 80)"},
	    {.word = "U", .metavar = "[PORTS]", .help = "UDP to PORTS (default 40125)"},
	    {.word = "E", .help = "ICMP echo request"},
	    {.word = "P", .help = "ICMP timestamp request"},
	    {.word = "M", .help = "ICMP address mask request"},
	    {.word = "R", .help = "ARP (ND) for on-link targets (the default there)"},
	};

	if (i >= ARRAY_SIZE(all))
		return false;
	*c = all[i];
	return true;
}

/* -oX FILE: the formats of the registry, then -oA BASE. */
static bool output_choice(size_t i, struct cmd_choice *c)
{
	size_t n = 0;

	while (out_formats[n])
		n++;
	if (i < n)
		*c = (struct cmd_choice){.word = out_formats[i]->flag + 2,
		                         .help = out_formats[i]->help};
	else if (i == n)
		*c = (struct cmd_choice){.word = "A",
		                         .metavar = "BASE",
		                         .help =
		                             "every format: BASE.nmap, BASE.xml, BASE.gnmap, ..."};
	else
		return false;
	return true;
}

#define NUMBER(nm, idv, meta, text)                                                                \
	{                                                                                          \
		.name = (nm), .id = (idv), .arg = CMD_ARG_REQUIRED, .metavar = (meta),             \
		.help = (text)                                                                     \
	}

static const struct cmd_option scan_options[] = {
    {.name = "-iL",
     .id = OPT_IL,
     .arg = CMD_ARG_REQUIRED,
     .metavar = "FILE",
     .complete = CMD_COMPLETE_FILE,
     .section = "Targets:",
     .help = "targets from FILE ('-' is stdin), '#' starts a comment"},
    {.name = "exclude",
     .id = OPT_EXCLUDE,
     .arg = CMD_ARG_REQUIRED,
     .metavar = "LIST",
     .help = "comma-separated targets to leave out"},
    {.name = "excludefile",
     .id = OPT_EXCLUDEFILE,
     .arg = CMD_ARG_REQUIRED,
     .metavar = "FILE",
     .complete = CMD_COMPLETE_FILE,
     .help = "targets to leave out, from FILE"},
    {.letter = '6', .help = "IPv6 targets; names resolve to IPv6 addresses"},
    {.letter = 'n', .help = "never resolve names: a host name is an error"},
    {.letter = 'p',
     .arg = CMD_ARG_REQUIRED,
     .once = true,
     .metavar = "LIST",
     .section = "Ports:",
     .help = "22,80,1000-2000  -p- (1-65535)  T:53,U:53,161 (T: TCP, U: UDP)"},
    NUMBER("top-ports", OPT_TOP_PORTS, "N", "the N most common ports"),
    {.letter = 'F', .help = "the 100 most common ports"},
    {.letter = 's', .arg = CMD_ARG_GLUED, .section = "Scan types:", .choices = scan_type_choice},
    {.letter = 'P',
     .arg = CMD_ARG_GLUED,
     .tail = true,
     .section = "Host discovery (hosts found down are not port scanned; default: ARP/ND\n"
                "on-link, elsewhere -PE -PS443 -PA80 -PP; without CAP_NET_RAW, TCP\n"
                "connect() to 80 and 443):",
     .choices = ping_choice},
    {.name = "disable-arp-ping",
     .id = OPT_DISABLE_ARP,
     .help = "no ARP/ND: on-link targets get the IP probes too"},
    {.name = "source-ip",
     .letter = 'S',
     .arg = CMD_ARG_REQUIRED,
     .once = true,
     .metavar = "LIST",
     .help = "raw scans: probes spread over these addresses of ours\n"
             "(198.18.0.16-31, fd00::10/124): multiplies a target's ICMP budget"},
    {.name = "send-ip",
     .id = OPT_SEND_IP,
     .help = "raw scans: raw IP sockets only (through routing and the\n"
             "netfilter output hook)"},
    {.name = "send-eth", .id = OPT_SEND_ETH, .help = "raw scans: link-level sends where possible"},
    {.name = "version-intensity",
     .id = OPT_VERSION_INTENSITY,
     .arg = CMD_ARG_REQUIRED,
     .metavar = "N",
     .section = "Service detection (-sV):",
     .help = "0-9 (default 7): how rare a probe may be"},
    {.name = "version-light", .id = OPT_VERSION_LIGHT, .help = "--version-intensity 2"},
    {.name = "version-all", .id = OPT_VERSION_ALL, .help = "--version-intensity 9"},
    {.name = "probes",
     .id = OPT_PROBES,
     .arg = CMD_ARG_REQUIRED,
     .metavar = "FILE",
     .complete = CMD_COMPLETE_FILE,
     .help = "nmap-service-probes file (default: nmap's, when installed)"},
    {.letter = 'T',
     .arg = CMD_ARG_REQUIRED,
     .metavar = "0-5",
     .complete = "0|1|2|3|4|5|paranoid|sneaky|polite|normal|aggressive|insane",
     .section = "Timing:",
     .help = "paranoid, sneaky, polite, normal (default), aggressive, insane"},
    NUMBER("min-rate", OPT_MIN_RATE, "N", "send at least N probes per second"),
    NUMBER("max-rate", OPT_MAX_RATE, "N", "send at most N probes per second"),
    NUMBER("max-retries", OPT_MAX_RETRIES, "N", "resend a silent probe at most N times"),
    NUMBER("host-timeout", OPT_HOST_TIMEOUT, "T",
           "give up on a host after T (500ms, 30s, 15m, 2h)"),
    NUMBER("max-hostgroup", OPT_MAX_HOSTGROUP, "N",
           "scan at most N hosts at once (each group is written when done)"),
    {.name = "randomize-hosts",
     .id = OPT_RANDOMIZE_HOSTS,
     .section = "Order and output:",
     .help = "scan hosts in a random order"},
    NUMBER("seed", OPT_SEED, "N", "fixed random order (implies --randomize-hosts)"),
    {.name = "shard",
     .id = OPT_SHARD,
     .arg = CMD_ARG_REQUIRED,
     .once = true,
     .metavar = "I/N",
     .section = "Splitting a scan:",
     .help = "probe shard I of N: N scanners with the same targets, ports and\n"
             "seed probe every (host, port) once between them"},
    {.name = "shard-count",
     .id = OPT_SHARD_COUNT,
     .arg = CMD_ARG_REQUIRED,
     .once = true,
     .metavar = "N",
     .help = "N shards, this one from JOB_COMPLETION_INDEX (a Kubernetes\n"
             "Indexed Job; also PORTSCOPE_SHARDS=N); Slurm arrays need neither"},
    {.name = "resume",
     .id = OPT_RESUME,
     .help = "[RUN]: continue interrupted run RUN (default: the newest one)\n"
             "with its options, from its last checkpoint; only -o and --db\n"
             "may be given with it"},
    {.name = "resume-or-start",
     .id = OPT_RESUME_OR_START,
     .help = "continue this command line's own interrupted run (same\n"
             "shard, seed and command line) if there is one, else start a\n"
             "new run: for retried Kubernetes Job pods and Slurm tasks"},
    {.letter = 'o',
     .arg = CMD_ARG_KEYED,
     .metavar = "FILE",
     .complete = CMD_COMPLETE_FILE,
     .choices = output_choice},
    {.name = "open", .id = OPT_OPEN, .help = "only open ports (and hosts with some)"},
    {.name = "reason",
     .id = OPT_REASON,
     .help = "a REASON column: syn-ack, conn-refused, no-response, ..."},
    {.letter = 'v', .help = "more detail: hosts found down are listed too"},
    {.name = "-vv", .id = OPT_VV, .help = "-v twice"},
    {.letter = 'd',
     .arg = CMD_ARG_GLUED,
     .bare = true,
     .help = "debugging level (-d, -d2 ... -d9), as nmap records it in the XML"},
    {.name = "append-output",
     .id = OPT_APPEND_OUTPUT,
     .help = "append to the -o files instead of replacing them"},
    {.name = "stylesheet",
     .id = OPT_STYLESHEET,
     .arg = CMD_ARG_REQUIRED,
     .metavar = "PATH|URL",
     .complete = CMD_COMPLETE_FILE,
     .help = "the XSL stylesheet the XML names (default: nmap's " SCAN_XSL_LOCAL ")"},
    {.name = "webxml", .id = OPT_WEBXML, .help = "--stylesheet " SCAN_XSL_WEB},
    {.name = "no-stylesheet", .id = OPT_NO_STYLESHEET, .help = "name no stylesheet in the XML"},
    CMD_OPTION_JSON("JSON Lines on stdout"),
    CMD_OPTION_NO_COLOR,
    CMD_OPTION_PROMETHEUS(OPT_PROMETHEUS,
                          "the run's metrics as a node_exporter textfile (replaced whole)"),
    {.name = "db",
     .id = CMD_OPT_DB,
     .arg = CMD_ARG_REQUIRED,
     .metavar = "PATH",
     .complete = CMD_COMPLETE_FILE,
     .section = "History:",
     .help = "record the scan in PATH (default " CMD_DB_DEFAULT "),\n"
             "or in PostgreSQL: postgresql://USER@HOST/DB or 'host=H dbname=DB'"},
    {.name = "no-history", .id = OPT_NO_HISTORY, .help = "do not record the scan"},
    {0},
};

const struct cmd_spec cmd_scan = {
    .name = "scan",
    .usage = "[OPTIONS] TARGET...",
    .summary = "scan targets: which ports are open, closed, filtered (like nmap)",
    .about = "TARGET (IPv4 unless -6): 198.18.0.2  fd00:5c09::1  198.18.0.0/24  198.18.0.1-20\n"
             "                        198.18.0-3.*  host.name\n",
    .options = scan_options,
    .style = CMD_STYLE_NMAP,
    .max_words = -1,
    .run = scan_cmd_run,
    .uses_capabilities = true,
};

/* Words collected from the options, used once -6 and -n are known. */
struct scan_words {
	char *const *targets;
	size_t ntargets;
	const char **files;        /* -iL */
	const char **excludes;     /* --exclude lists */
	const char **excludefiles; /* --excludefile */
	size_t nfiles, nexcludes, nexcludefiles;
};

/* -sT, -sS, -sU (the registry), -sL, -sV, or several at once (-sSU). */
static int scan_set_types(struct scan_opts *o, const char *letters, char *why, size_t whylen)
{
	for (const char *t = letters; *t; t++) {
		char flag[4] = {'-', 's', *t, 0};
		const struct scan_technique *tech = scan_technique_find(flag);

		if (*t == 'L') {
			o->list_only = true;
		} else if (*t == 'n') {
			o->ping_only = true;
		} else if (*t == 'V') {
			o->version = true;
		} else if (!tech) {
			return why_fail(why, whylen, "unknown scan type '%s' (see --help)", flag);
		} else {
			bool have = false;

			for (size_t i = 0; i < o->ntechs; i++) {
				if (o->techs[i]->proto == tech->proto && o->techs[i] != tech)
					return why_fail(why, whylen,
					                "%s and %s are both %s scans: choose one",
					                o->techs[i]->flag, tech->flag,
					                tech->proto == IPPROTO_UDP ? "UDP" : "TCP");
				have |= o->techs[i] == tech;
			}
			if (!have && o->ntechs < SCAN_MAX_TECHS)
				o->techs[o->ntechs++] = tech;
		}
	}
	return 0;
}

/* The port list of -PS, -PA, -PU (spec: what follows, "22,80"); none gives dflt. */
static int scan_ping_ports(char t, const char *spec, uint16_t dflt, struct portlist *out, char *why,
                           size_t whylen)
{
	struct portspec ps = {0};
	char msg[256] = "";
	int r;

	if (!*spec)
		return portlist_add_range(out, dflt, dflt);
	if (strchr(spec, ':'))
		return why_fail(why, whylen,
		                "-P%c takes plain ports (-P%c22,80,1000-2000), not a protocol "
		                "prefix: '-P%c%s'",
		                t, t, t, spec);
	r = portspec_parse(spec, &ps, msg, sizeof(msg));
	if (r < 0) {
		snprintf(why, whylen, "-P%c: %s", t, msg);
		portspec_free(&ps);
		return r == -ENOMEM ? r : -EINVAL;
	}
	/* A bare list names both protocols: take the one of this probe. */
	*out = t == 'U' ? ps.udp : ps.tcp;
	portlist_free(t == 'U' ? &ps.tcp : &ps.udp);
	if (out->n == 0)
		return why_fail(why, whylen, "-P%c: no port in '%s'", t, spec);
	return 0;
}

/* -Pn, -PE, -PP, -PM, -PR, -PS[ports], -PA[ports], -PU[ports]; arg is what follows -P. */
static int scan_set_ping(struct scan_opts *o, const char *arg, char *why, size_t whylen)
{
	char t = arg[0];
	bool *given;
	struct portlist *pl;

	switch (t) {
	case 'n':
	case 'E':
	case 'P':
	case 'M':
	case 'R':
		if (arg[1])
			return why_fail(why, whylen, "'-P%s': -P%c takes no argument", arg, t);
		o->no_ping |= t == 'n';
		o->ping_arp |= t == 'R';
		o->ping_icmp |= t == 'E'   ? DISC_ECHO
		                : t == 'P' ? DISC_TIMESTAMP
		                : t == 'M' ? DISC_MASK
		                           : 0;
		return 0;
	case 'S':
	case 'A':
	case 'U':
		given = t == 'S'   ? &o->ping_syn_given
		        : t == 'A' ? &o->ping_ack_given
		                   : &o->ping_udp_given;
		pl = t == 'S' ? &o->ping_syn : t == 'A' ? &o->ping_ack : &o->ping_udp;
		break;
	default: /* the parser knows the letters: cannot happen */
		return why_fail(why, whylen, "unknown discovery type '-P%s'", arg);
	}
	if (*given)
		return why_fail(why, whylen, "-P%c given twice: write one list, '-P%c22,80'", t, t);
	*given = true;
	return scan_ping_ports(t, arg + 1, t == 'U' ? DISC_DEFAULT_UDP_PORT : DISC_DEFAULT_TCP_PORT,
	                       pl, why, whylen);
}

/* -T0 … -T5, or nmap's names (-T4 = -T aggressive). */
static int scan_set_timing(struct scan_opts *o, const char *arg, char *why, size_t whylen)
{
	int level = scan_timing_parse_level(arg);

	if (level < 0)
		return why_fail(why, whylen,
		                "-T: '%s' is not a timing template: 0-5 or paranoid, sneaky, "
		                "polite, normal, aggressive, insane",
		                arg);
	o->timing = level;
	return 0;
}

/* -oN, -oX, -oG, -oJ FILE (the registry) and -oA BASE. */
static int scan_set_output(struct scan_opts *o, const struct cmd_value *v, char *why, size_t whylen)
{
	const struct out_format *fmt = out_format_find(v->flag);

	if (!*v->arg)
		return why_fail(why, whylen, "option '%s' needs a file name ('-' is stdout)",
		                v->flag);
	if (!fmt) { /* the only other choice: -oA */
		if (o->out_all)
			return why_fail(why, whylen, "'%s' given twice", v->flag);
		if (strcmp(v->arg, "-") == 0)
			return why_fail(why, whylen, "-oA takes a base name for files, not '-'");
		o->out_all = v->arg;
		return 0;
	}
	if (!fmt->begin) /* a format this build leaves out says why in its help */
		return why_fail(why, whylen, "%s: %s", v->flag, fmt->help);
	for (size_t i = 0; i < o->noutputs; i++)
		if (o->outputs[i].fmt == fmt)
			return why_fail(why, whylen, "'%s' given twice", v->flag);
	if (o->noutputs == SCAN_MAX_OUTPUTS)
		return why_fail(why, whylen, "too many outputs");
	o->outputs[o->noutputs++] = (struct scan_output){.fmt = fmt, .path = v->arg};
	return 0;
}

/* --stylesheet PATH|URL, --webxml, --no-stylesheet: one of them, once. */
static int scan_set_stylesheet(struct scan_opts *o, const struct cmd_value *v, char *why,
                               size_t whylen)
{
	if (o->stylesheet_given)
		return why_fail(why, whylen, "%s: the stylesheet was already chosen", v->flag);
	o->stylesheet_given = true;
	if (v->id == OPT_STYLESHEET && !*v->arg)
		return why_fail(why, whylen, "%s needs a path or URL", v->flag);
	o->stylesheet = v->id == OPT_STYLESHEET ? v->arg
	                : v->id == OPT_WEBXML   ? SCAN_XSL_WEB
	                                        : NULL;
	return 0;
}

/* -d, -dN: nmap's debugging level, 1 to 9. */
static int scan_set_debugging(struct scan_opts *o, const char *arg, char *why, size_t whylen)
{
	uint64_t n = 1;

	if (*arg && strnum_u64(arg, 0, 9, &n) < 0)
		return why_fail(why, whylen, "-d: '%s' is not a debugging level from 0 to 9", arg);
	o->debugging = *arg ? (unsigned)n : o->debugging + 1;
	return 0;
}

/* A number option: strnum_u64 in [min, max], else "FLAG: 'ARG' is not WHAT". */
static int scan_number(const struct cmd_value *v, uint64_t min, uint64_t max, const char *what,
                       uint64_t *out, char *why, size_t whylen)
{
	if (strnum_u64(v->arg, min, max, out) < 0)
		return why_fail(why, whylen, "%s: '%s' is not %s", v->flag, v->arg, what);
	return 0;
}

/* The numbers: --top-ports, --seed, the rates, --max-retries, --version-intensity. */
static int scan_numbers(struct scan_opts *o, const struct cmd_value *v, char *why, size_t whylen)
{
	char what[64];
	uint64_t n;
	int r = 0;

	switch (v->id) {
	case OPT_TOP_PORTS:
		r = scan_number(v, 1, 65535, "a number from 1 to 65535", &n, why, whylen);
		o->top_ports = (unsigned)n;
		break;
	case OPT_SEED:
		snprintf(what, sizeof(what), "a number from 0 to %llu",
		         (unsigned long long)UINT64_MAX);
		r = scan_number(v, 0, UINT64_MAX, what, &o->seed, why, whylen);
		o->seed_given = o->randomize_hosts = true;
		break;
	case OPT_MIN_RATE:
	case OPT_MAX_RATE:
		r = scan_number(v, 1, 10000000, "a rate from 1 to 10000000 probes per second",
		                v->id == OPT_MIN_RATE ? &o->min_rate : &o->max_rate, why, whylen);
		break;
	case OPT_MAX_RETRIES:
		r = scan_number(v, 0, 50, "a number from 0 to 50", &n, why, whylen);
		o->max_retries = (int)n;
		break;
	case OPT_VERSION_INTENSITY:
		r = scan_number(v, 0, 9, "an intensity from 0 to 9", &n, why, whylen);
		o->version_intensity = (int)n;
		break;
	case OPT_MAX_HOSTGROUP:
		r = scan_number(v, 1, 4096, "a number from 1 to 4096", &n, why, whylen);
		o->max_hostgroup = (unsigned)n;
		break;
	}
	return r;
}

/* One option with an argument; w collects the words of targets and files. */
static int scan_value(struct scan_opts *o, struct scan_words *w, const struct cmd_value *v,
                      char *why, size_t whylen)
{
	uint64_t ms;
	int r;

	switch (v->id) {
	case 'p':
		r = portspec_parse(v->arg, &o->ports, why, whylen);
		if (r < 0) {
			char msg[256];

			snprintf(msg, sizeof(msg), "%s", why);
			snprintf(why, whylen, "-p: %s", msg);
			return r;
		}
		o->ports_given = true;
		return 0;
	case 's':
		return scan_set_types(o, v->arg, why, whylen);
	case 'T':
		return scan_set_timing(o, v->arg, why, whylen);
	case 'd':
		return scan_set_debugging(o, v->arg, why, whylen);
	case 'o':
		return scan_set_output(o, v, why, whylen);
	case 'P':
		return scan_set_ping(o, v->arg, why, whylen);
	case 'S':
		if (!*v->arg)
			return why_fail(why, whylen,
			                "%s needs addresses (198.18.0.10-25, 2001:db8::/124)",
			                v->flag);
		o->source_ip = v->arg;
		return 0;
	case OPT_IL:
		w->files[w->nfiles++] = v->arg;
		return 0;
	case OPT_EXCLUDE:
		w->excludes[w->nexcludes++] = v->arg;
		return 0;
	case OPT_EXCLUDEFILE:
		w->excludefiles[w->nexcludefiles++] = v->arg;
		return 0;
	case OPT_HOST_TIMEOUT:
		r = scan_timing_parse_time(v->arg, &ms);
		if (r < 0 || ms == 0)
			return why_fail(
			    why, whylen,
			    "%s: '%s' is not a time above 0 such as 500ms, 30s, 15m, 2h", v->flag,
			    v->arg);
		o->host_timeout_ms = ms;
		return 0;
	case OPT_SHARD:
		o->shard_given = true;
		return shard_parse(v->arg, &o->shard, why, whylen);
	case OPT_SHARD_COUNT:
		o->shard_count = v->arg;
		return 0;
	case OPT_PROBES:
		if (!*v->arg)
			return why_fail(why, whylen, "%s needs a probe file name", v->flag);
		o->probes_file = v->arg;
		return 0;
	}
	return scan_numbers(o, v, why, whylen);
}

/* The options in command-line order into o and w. */
static int scan_collect(const struct cmd_args *a, struct scan_opts *o, struct scan_words *w,
                        char *why, size_t whylen)
{
	for (size_t i = 0; i < a->nvalues; i++) {
		const struct cmd_value *v = &a->values[i];
		int r = 0;

		switch (v->id) {
		case '6':
		case 'n':
		case 'F':
			o->ipv6 |= v->id == '6';
			o->no_dns |= v->id == 'n';
			o->fast |= v->id == 'F';
			break;
		case OPT_SEND_IP:
		case OPT_SEND_ETH:
		case OPT_OPEN:
		case OPT_REASON:
		case OPT_NO_HISTORY:
		case OPT_RANDOMIZE_HOSTS:
		case OPT_RESUME_OR_START:
			o->resume_or_start |= v->id == OPT_RESUME_OR_START;
			o->send_ip |= v->id == OPT_SEND_IP;
			o->send_eth |= v->id == OPT_SEND_ETH;
			o->open_only |= v->id == OPT_OPEN;
			o->reason |= v->id == OPT_REASON;
			o->no_history |= v->id == OPT_NO_HISTORY;
			o->randomize_hosts |= v->id == OPT_RANDOMIZE_HOSTS;
			break;
		case OPT_DISABLE_ARP:
			o->disable_arp = true;
			break;
		case 'v':
		case OPT_VV:
			o->verbose += v->id == OPT_VV ? 2 : 1;
			break;
		case OPT_APPEND_OUTPUT:
			o->append_output = true;
			break;
		case OPT_STYLESHEET:
		case OPT_WEBXML:
		case OPT_NO_STYLESHEET:
			r = scan_set_stylesheet(o, v, why, whylen);
			break;
		case OPT_VERSION_LIGHT:
		case OPT_VERSION_ALL:
			o->version_intensity = v->id == OPT_VERSION_LIGHT ? 2 : 9;
			break;
		case CMD_OPT_JSON:
		case CMD_OPT_NO_COLOR:
		case CMD_OPT_DB:
			break; /* read from a itself */
		case OPT_PROMETHEUS:
			if (!*v->arg)
				return why_fail(why, whylen, "%s: empty path", v->flag);
			o->prometheus = v->arg;
			break;
		default:
			r = scan_value(o, w, v, why, whylen);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* The name of the first -P probe given, for messages. */
static const char *scan_ping_given(const struct scan_opts *o)
{
	return o->ping_syn_given                 ? "-PS"
	       : o->ping_ack_given               ? "-PA"
	       : o->ping_udp_given               ? "-PU"
	       : o->ping_arp                     ? "-PR"
	       : (o->ping_icmp & DISC_ECHO)      ? "-PE"
	       : (o->ping_icmp & DISC_TIMESTAMP) ? "-PP"
	       : (o->ping_icmp & DISC_MASK)      ? "-PM"
	                                         : NULL;
}

/* Host discovery options that make no sense together or with the rest. */
static int scan_check_discovery(const struct scan_opts *o, char *why, size_t whylen)
{
	const char *ping = scan_ping_given(o);

	if (o->list_only && (ping || o->disable_arp))
		return why_fail(why, whylen,
		                "-sL sends nothing: host discovery options (-P…, "
		                "--disable-arp-ping) have nothing to do");
	if (o->ping_only && (o->ntechs || o->version))
		return why_fail(
		    why, whylen,
		    "-sn is host discovery only: it cannot be combined with a port scan "
		    "(%s) or -sV",
		    o->ntechs ? o->techs[0]->flag : "-sV");
	if (o->ping_only && (o->ports_given || o->fast || o->top_ports || o->open_only))
		return why_fail(why, whylen, "-sn scans no ports: %s has nothing to do",
		                o->ports_given ? "-p"
		                : o->fast      ? "-F"
		                : o->top_ports ? "--top-ports"
		                               : "--open");
	if (o->no_ping && ping)
		return why_fail(why, whylen,
		                "-Pn skips host discovery: it cannot be combined with %s", ping);
	if (o->ping_arp && o->disable_arp)
		return why_fail(
		    why, whylen,
		    "-PR asks for ARP ping, --disable-arp-ping turns it off: choose one");
	if (o->ping_arp && o->send_ip)
		return why_fail(why, whylen,
		                "-PR asks for ARP ping, which --send-ip rules out: choose one");
	if (o->ipv6 && (o->ping_icmp & (DISC_TIMESTAMP | DISC_MASK)))
		return why_fail(why, whylen, "%s: ICMPv6 has no %s request (use -PE with -6)",
		                (o->ping_icmp & DISC_TIMESTAMP) ? "-PP" : "-PM",
		                (o->ping_icmp & DISC_TIMESTAMP) ? "timestamp" : "address mask");
	return 0;
}

/* Options that make no sense together, as nmap judges them. */
static int scan_check_conflicts(const struct scan_opts *o, char *why, size_t whylen)
{
	bool raw = false;
	int r;

	for (size_t i = 0; i < o->ntechs; i++)
		raw |= o->techs[i]->needs_raw;
	if (o->list_only && (o->ntechs || o->version || o->ping_only))
		return why_fail(why, whylen,
		                "-sL lists targets only: it cannot be combined with "
		                "%s, -sn or -sV",
		                o->ntechs ? o->techs[0]->flag : "a scan type");
	r = scan_check_discovery(o, why, whylen);
	if (r < 0)
		return r;
	if (!o->version && (o->version_intensity >= 0 || o->probes_file))
		return why_fail(why, whylen, "%s belongs to service detection: add -sV",
		                o->probes_file ? "--probes" : "--version-intensity");
	if (o->ports_given && (o->top_ports || o->fast))
		return why_fail(why, whylen, "-p cannot be combined with %s: choose one",
		                o->fast ? "-F" : "--top-ports");
	if (o->top_ports && o->fast)
		return why_fail(why, whylen, "-F and --top-ports both choose ports: choose one");
	if (o->db && o->no_history)
		return why_fail(why, whylen, "--db and --no-history: choose one");
	if (o->resume_or_start && (o->no_history || o->list_only || o->ping_only || !o->no_ping))
		return why_fail(why, whylen,
		                "--resume-or-start continues port scans of -Pn targets from the "
		                "history: %s",
		                o->no_history  ? "not with --no-history"
		                : o->list_only ? "not -sL"
		                : o->ping_only ? "not -sn"
		                               : "add -Pn");
	if (o->source_ip && (o->list_only || (o->ntechs && !raw)))
		return why_fail(why, whylen, "--source-ip needs a raw scan (-sS or -sU), not %s",
		                o->list_only ? "-sL" : o->techs[0]->flag);
	if (o->send_ip && o->send_eth)
		return why_fail(why, whylen, "--send-ip and --send-eth: choose one");
	if (o->shard_given && o->shard_count)
		return why_fail(why, whylen, "--shard and --shard-count: choose one");
	if (o->list_only && (o->shard_given || o->shard_count))
		return why_fail(why, whylen,
		                "--shard splits the (host, port)s probed: -sL probes none");
	if (o->min_rate && o->max_rate && o->min_rate > o->max_rate)
		return why_fail(why, whylen, "--min-rate %llu is above --max-rate %llu",
		                (unsigned long long)o->min_rate, (unsigned long long)o->max_rate);
	return 0;
}

/* Adds the comma-separated --exclude list. */
static int scan_exclude_list(struct targetset *ts, const char *list, char *why, size_t whylen)
{
	char msg[384], *copy = strdup(list), *item, *next;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	if (!*list)
		r = why_fail(why, whylen, "--exclude: empty list");
	for (item = copy; r == 0 && item; item = next) {
		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		if (!*item) {
			r = why_fail(why, whylen, "--exclude: empty item in '%s'", list);
			break;
		}
		msg[0] = '\0';
		r = targetset_exclude(ts, item, msg, sizeof(msg));
		if (r < 0)
			snprintf(why, whylen, "--exclude: %s", msg);
	}
	free(copy);
	return r;
}

/* The target words and -iL files as one string ("198.18.0.0/24 -iL hosts.txt"), for history. */
static int scan_target_words(struct scan_opts *o, const struct scan_words *w)
{
	size_t len = 1;
	char *p;

	for (size_t i = 0; i < w->ntargets; i++)
		len += strlen(w->targets[i]) + 1;
	for (size_t i = 0; i < w->nfiles; i++)
		len += strlen(w->files[i]) + 5;
	o->target_words = p = malloc(len);
	if (!p)
		return -ENOMEM;
	*p = '\0';
	for (size_t i = 0; i < w->ntargets; i++)
		p += sprintf(p, "%s%s", p == o->target_words ? "" : " ", w->targets[i]);
	for (size_t i = 0; i < w->nfiles; i++)
		p += sprintf(p, "%s-iL %s", p == o->target_words ? "" : " ", w->files[i]);
	return 0;
}

#define SCAN_MAX_SOURCES 256

/* Adds the addresses of one --source-ip item (an address, octet range or prefix). */
static int scan_source_item(struct scan_opts *o, const char *item, char *why, size_t whylen)
{
	bool v6 = strchr(item, ':') != NULL;
	struct targetset *ts = targetset_new(TARGETSET_NO_DNS | (v6 ? TARGETSET_IPV6 : 0));
	char msg[384] = "";
	uint64_t n;
	int r;

	if (!ts)
		return -ENOMEM;
	r = targetset_add(ts, item, msg, sizeof(msg));
	if (r == 0)
		r = targetset_seal(ts);
	if (r < 0) {
		targetset_free(ts);
		if (strstr(msg, "host name"))
			return why_fail(why, whylen, "--source-ip: '%s' is not an address", item);
		snprintf(why, whylen, "--source-ip: %s", msg[0] ? msg : "bad address");
		return r;
	}
	n = targetset_count(ts);
	if (n > SCAN_MAX_SOURCES - o->nsources) {
		targetset_free(ts);
		return why_fail(why, whylen, "--source-ip: more than %d addresses",
		                SCAN_MAX_SOURCES);
	}
	for (uint64_t i = 0; i < n && r == 0; i++)
		r = targetset_get(ts, i, &o->sources[o->nsources++]);
	targetset_free(ts);
	return r;
}

/* The --source-ip list: comma-separated items, at most SCAN_MAX_SOURCES addresses. */
static int scan_build_sources(struct scan_opts *o, char *why, size_t whylen)
{
	char *copy, *item, *next;
	int r = 0;

	if (!o->source_ip)
		return 0;
	o->sources = calloc(SCAN_MAX_SOURCES, sizeof(*o->sources));
	copy = strdup(o->source_ip);
	if (!o->sources || !copy) {
		free(copy);
		return -ENOMEM;
	}
	for (item = copy; r == 0 && item; item = next) {
		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		if (!*item)
			r = why_fail(why, whylen, "--source-ip: empty item in '%s'", o->source_ip);
		else
			r = scan_source_item(o, item, why, whylen);
	}
	free(copy);
	return r;
}

/* Second pass: the target set from the collected words, then exclusions, sealed. */
static int scan_build_targets(struct scan_opts *o, const struct scan_words *w, char *why,
                              size_t whylen)
{
	/* As nmap: -n turns off reverse look-ups (never done here); names still resolve. */
	unsigned flags = o->ipv6 ? TARGETSET_IPV6 : 0;
	char msg[512];
	int r = 0;

	if (w->ntargets == 0 && w->nfiles == 0)
		return why_fail(why, whylen,
		                "no targets given: name hosts, networks or -iL FILE "
		                "(see --help)");
	o->targets = targetset_new(flags);
	if (!o->targets)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < w->ntargets; i++)
		r = targetset_add(o->targets, w->targets[i], why, whylen);
	for (size_t i = 0; r == 0 && i < w->nfiles; i++) {
		r = targetset_add_file(o->targets, w->files[i], false, msg, sizeof(msg));
		if (r < 0)
			snprintf(why, whylen, "-iL: %s", msg);
	}
	for (size_t i = 0; r == 0 && i < w->nexcludes; i++)
		r = scan_exclude_list(o->targets, w->excludes[i], why, whylen);
	for (size_t i = 0; r == 0 && i < w->nexcludefiles; i++) {
		r = targetset_add_file(o->targets, w->excludefiles[i], true, msg, sizeof(msg));
		if (r < 0)
			snprintf(why, whylen, "--excludefile: %s", msg);
	}
	if (r == 0) {
		r = targetset_seal(o->targets);
		if (r < 0)
			why_fail(why, whylen, "out of memory sealing the target set");
	}
	return r;
}

static const char *scan_getenv(const char *name)
{
	return getenv(name);
}

/* --resume [RUN]: the run, and the outputs of this command line; nothing else. */
static int scan_resume_opts(const struct cmd_args *a, struct scan_opts *o, char *why, size_t whylen)
{
	uint64_t run = 0;

	if (a->nwords > 1)
		return why_fail(why, whylen, "--resume takes one run, not '%s %s'", a->words[0],
		                a->words[1]);
	if (a->nwords && strnum_u64(a->words[0], 1, INT64_MAX, &run) < 0)
		return why_fail(why, whylen, "--resume: '%s' is not a run number", a->words[0]);
	o->resume_run = (int64_t)run;
	o->resume = true;
	for (size_t i = 0; i < a->nvalues; i++) {
		const struct cmd_value *v = &a->values[i];
		int r = 0;

		if (v->id == 'o')
			r = scan_set_output(o, v, why, whylen);
		else if (v->id != OPT_RESUME && v->id != CMD_OPT_DB && v->id != CMD_OPT_JSON &&
		         v->id != CMD_OPT_NO_COLOR)
			return why_fail(why, whylen,
			                "--resume: '%s' cannot be given: the run's own options are "
			                "kept (only -o and --db may be)",
			                v->flag);
		if (r < 0)
			return r;
	}
	return 0;
}

int scan_opts_from_args(const struct cmd_args *a, struct scan_opts *opts, char *why, size_t whylen)
{
	size_t n = a->nvalues ? a->nvalues : 1;
	struct scan_words w = {.targets = a->words, .ntargets = a->nwords};
	int r = -ENOMEM;

	*opts = (struct scan_opts){.timing = -1,
	                           .max_retries = -1,
	                           .version_intensity = -1,
	                           .json = a->json,
	                           .no_color = a->no_color,
	                           .db = a->db,
	                           .help = a->help};
	why_set(why, whylen, "%s", "");
	if (a->help)
		return 0;
	if (cmd_has(a, OPT_RESUME))
		return scan_resume_opts(a, opts, why, whylen);
	/* Each list holds at most one entry per option given. */
	w.files = calloc(n, sizeof(*w.files));
	w.excludes = calloc(n, sizeof(*w.excludes));
	w.excludefiles = calloc(n, sizeof(*w.excludefiles));
	if (w.files && w.excludes && w.excludefiles) {
		r = scan_collect(a, opts, &w, why, whylen);
		if (r == 0)
			r = scan_check_conflicts(opts, why, whylen);
		if (r == 0 && !opts->stylesheet_given)
			opts->stylesheet = access(SCAN_XSL_LOCAL, R_OK) == 0
			                       ? "file://" SCAN_XSL_LOCAL
			                       : SCAN_XSL_WEB;
		if (r == 0)
			r = scan_build_targets(opts, &w, why, whylen);
		if (r == 0)
			r = scan_target_words(opts, &w);
		if (r == 0)
			r = scan_build_sources(opts, why, whylen);
		if (r == 0 && !opts->shard_given && !opts->list_only &&
		    shard_from_env(scan_getenv, opts->shard_count, &opts->shard, why, whylen) < 0)
			r = -EINVAL;
	}
	if (r == -ENOMEM && why && whylen && !why[0])
		snprintf(why, whylen, "out of memory");
	free(w.files);
	free(w.excludes);
	free(w.excludefiles);
	return r;
}

int scan_opts_parse(int argc, char **argv, struct scan_opts *opts, char *why, size_t whylen)
{
	struct cmd_args a;
	int r = cmd_parse(&cmd_scan, argc, argv, &a, why, whylen);

	if (r == 0)
		r = scan_opts_from_args(&a, opts, why, whylen);
	else
		*opts = (struct scan_opts){0};
	cmd_args_free(&a);
	return r;
}

void scan_opts_free(struct scan_opts *opts)
{
	portlist_free(&opts->ping_syn);
	portlist_free(&opts->ping_ack);
	portlist_free(&opts->ping_udp);
	targetset_free(opts->targets);
	opts->targets = NULL;
	portspec_free(&opts->ports);
	free(opts->target_words);
	opts->target_words = NULL;
	free(opts->sources);
	opts->sources = NULL;
}
