/* nmap-style option parsing for `portscope scan` (see scan.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/scan.h"
#include "scan/timing.h"
#include "util/strnum.h"
#include "util/why.h"
#include "util/array.h"

/* Sets the reason; returns -EINVAL (a bad option). */
#define why_fail(why, whylen, ...) why_err(why, whylen, -EINVAL, __VA_ARGS__)

/* Words collected in the first pass, used once -6 and -n are known. */
struct scan_words {
	const char **targets;
	const char **files;        /* -iL */
	const char **excludes;     /* --exclude lists */
	const char **excludefiles; /* --excludefile */
	size_t ntargets, nfiles, nexcludes, nexcludefiles;
};

enum scan_longopt {
	OPT_EXCLUDE,
	OPT_EXCLUDEFILE,
	OPT_IL,
	OPT_SEED,
	OPT_RANDOMIZE_HOSTS,
	OPT_TOP_PORTS,
	OPT_JSON,
	OPT_NO_COLOR,
	OPT_HELP,
	OPT_MIN_RATE,
	OPT_MAX_RATE,
	OPT_MAX_RETRIES,
	OPT_HOST_TIMEOUT,
	OPT_OPEN,
	OPT_REASON,
	OPT_DB,
	OPT_NO_HISTORY,
	OPT_VERSION_INTENSITY,
	OPT_VERSION_LIGHT,
	OPT_VERSION_ALL,
	OPT_PROBES,
	OPT_SOURCE_IP,
	OPT_SEND_IP,
	OPT_SEND_ETH,
	OPT_PROMETHEUS,
};

struct scan_longdef {
	const char *name;
	enum scan_longopt id;
	bool has_arg;
};

static const struct scan_longdef scan_longopts[] = {
    {.name = "exclude", .id = OPT_EXCLUDE, .has_arg = true},
    {.name = "excludefile", .id = OPT_EXCLUDEFILE, .has_arg = true},
    {.name = "iL", .id = OPT_IL, .has_arg = true},
    {.name = "seed", .id = OPT_SEED, .has_arg = true},
    {.name = "randomize-hosts", .id = OPT_RANDOMIZE_HOSTS, .has_arg = false},
    {.name = "top-ports", .id = OPT_TOP_PORTS, .has_arg = true},
    {.name = "json", .id = OPT_JSON, .has_arg = false},
    {.name = "no-color", .id = OPT_NO_COLOR, .has_arg = false},
    {.name = "help", .id = OPT_HELP, .has_arg = false},
    {.name = "min-rate", .id = OPT_MIN_RATE, .has_arg = true},
    {.name = "max-rate", .id = OPT_MAX_RATE, .has_arg = true},
    {.name = "max-retries", .id = OPT_MAX_RETRIES, .has_arg = true},
    {.name = "host-timeout", .id = OPT_HOST_TIMEOUT, .has_arg = true},
    {.name = "open", .id = OPT_OPEN, .has_arg = false},
    {.name = "reason", .id = OPT_REASON, .has_arg = false},
    {.name = "db", .id = OPT_DB, .has_arg = true},
    {.name = "no-history", .id = OPT_NO_HISTORY, .has_arg = false},
    {.name = "version-intensity", .id = OPT_VERSION_INTENSITY, .has_arg = true},
    {.name = "version-light", .id = OPT_VERSION_LIGHT, .has_arg = false},
    {.name = "version-all", .id = OPT_VERSION_ALL, .has_arg = false},
    {.name = "probes", .id = OPT_PROBES, .has_arg = true},
    {.name = "source-ip", .id = OPT_SOURCE_IP, .has_arg = true},
    {.name = "send-ip", .id = OPT_SEND_IP, .has_arg = false},
    {.name = "send-eth", .id = OPT_SEND_ETH, .has_arg = false},
    {.name = "prometheus", .id = OPT_PROMETHEUS, .has_arg = true},
};

/* Finds a long option by the text after the dashes, up to '=' if any. */
static const struct scan_longdef *scan_find_long(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(scan_longopts); i++)
		if (strlen(scan_longopts[i].name) == len &&
		    strncmp(scan_longopts[i].name, name, len) == 0)
			return &scan_longopts[i];
	return NULL;
}

static int scan_set_ports(struct scan_opts *o, const char *spec, char *why, size_t whylen)
{
	char msg[256] = "";
	int r;

	if (o->ports_given)
		return why_fail(why, whylen, "-p given twice: write one list, '-p 22,80'");
	r = portspec_parse(spec, &o->ports, msg, sizeof(msg));
	if (r < 0) {
		snprintf(why, whylen, "-p: %s", msg);
		return r;
	}
	o->ports_given = true;
	return 0;
}

/* -sL, -sT, -sS, -sU, or several letters at once (-sSU). */
static int scan_set_types(struct scan_opts *o, const char *word, char *why, size_t whylen)
{
	const char *t = word + 2;

	if (!*t)
		return why_fail(why, whylen, "'-s' needs a scan type: -sT, -sS, -sU or -sL");
	for (; *t; t++) {
		switch (*t) {
		case 'L':
			o->list_only = true;
			break;
		case 'T':
			o->tcp_connect = true;
			break;
		case 'S':
			o->tcp_syn = true;
			break;
		case 'U':
			o->udp = true;
			break;
		case 'V':
			o->version = true;
			break;
		default:
			return why_fail(why, whylen,
			                "unknown scan type '-s%c' in '%s' (see --help)", *t, word);
		}
	}
	return 0;
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

/* -oN, -oX, -oG, -oJ FILE and -oA BASE. */
static int scan_set_output(struct scan_opts *o, char kind, const char *arg, const char *word,
                           char *why, size_t whylen)
{
	const char **slot;

	switch (kind) {
	case 'N':
		slot = &o->out_normal;
		break;
	case 'X':
		slot = &o->out_xml;
		break;
	case 'G':
		slot = &o->out_grep;
		break;
	case 'J':
		slot = &o->out_json;
		break;
	case 'A':
		slot = &o->out_all;
		break;
	default:
		return why_fail(why, whylen,
		                "unknown output option '%s': -oN, -oX, -oG, -oJ or -oA", word);
	}
	if (!arg || !*arg)
		return why_fail(why, whylen, "option '%s' needs a file name ('-' is stdout)", word);
	if (*slot)
		return why_fail(why, whylen, "'-o%c' given twice", kind);
	if (kind == 'A' && strcmp(arg, "-") == 0)
		return why_fail(why, whylen, "-oA takes a base name for files, not '-'");
	*slot = arg;
	return 0;
}

static int scan_set_source(struct scan_opts *o, const char *arg, const char *word, char *why,
                           size_t whylen)
{
	if (o->source_ip)
		return why_fail(why, whylen, "%s given twice: list every address in one", word);
	if (!*arg)
		return why_fail(why, whylen, "%s needs addresses (198.18.0.10-25, 2001:db8::/124)",
		                word);
	o->source_ip = arg;
	return 0;
}

static int scan_long(struct scan_opts *o, struct scan_words *w, const struct scan_longdef *d,
                     const char *arg, const char *word, char *why, size_t whylen)
{
	uint64_t v;
	int r;

	switch (d->id) {
	case OPT_EXCLUDE:
		w->excludes[w->nexcludes++] = arg;
		return 0;
	case OPT_EXCLUDEFILE:
		w->excludefiles[w->nexcludefiles++] = arg;
		return 0;
	case OPT_IL:
		w->files[w->nfiles++] = arg;
		return 0;
	case OPT_SEED:
		r = strnum_u64(arg, 0, UINT64_MAX, &v);
		if (r < 0)
			return why_fail(why, whylen, "%s: '%s' is not a number from 0 to %llu",
			                word, arg, (unsigned long long)UINT64_MAX);
		o->seed = v;
		o->seed_given = true;
		o->randomize_hosts = true;
		return 0;
	case OPT_RANDOMIZE_HOSTS:
		o->randomize_hosts = true;
		return 0;
	case OPT_TOP_PORTS:
		r = strnum_u64(arg, 1, 65535, &v);
		if (r < 0)
			return why_fail(why, whylen, "%s: '%s' is not a number from 1 to 65535",
			                word, arg);
		o->top_ports = (unsigned)v;
		return 0;
	case OPT_JSON:
		o->json = true;
		return 0;
	case OPT_NO_COLOR:
		o->no_color = true;
		return 0;
	case OPT_HELP:
		o->help = true;
		return 0;
	case OPT_MIN_RATE:
	case OPT_MAX_RATE:
		r = strnum_u64(arg, 1, 10000000, &v);
		if (r < 0)
			return why_fail(
			    why, whylen,
			    "%s: '%s' is not a rate from 1 to 10000000 probes per second", word,
			    arg);
		*(d->id == OPT_MIN_RATE ? &o->min_rate : &o->max_rate) = v;
		return 0;
	case OPT_MAX_RETRIES:
		r = strnum_u64(arg, 0, 50, &v);
		if (r < 0)
			return why_fail(why, whylen, "%s: '%s' is not a number from 0 to 50", word,
			                arg);
		o->max_retries = (int)v;
		return 0;
	case OPT_HOST_TIMEOUT:
		r = scan_timing_parse_time(arg, &v);
		if (r < 0 || v == 0)
			return why_fail(
			    why, whylen,
			    "%s: '%s' is not a time above 0 such as 500ms, 30s, 15m, 2h", word,
			    arg);
		o->host_timeout_ms = v;
		return 0;
	case OPT_OPEN:
		o->open_only = true;
		return 0;
	case OPT_REASON:
		o->reason = true;
		return 0;
	case OPT_DB:
		if (!*arg)
			return why_fail(why, whylen, "%s: empty path", word);
		o->db = arg;
		return 0;
	case OPT_NO_HISTORY:
		o->no_history = true;
		return 0;
	case OPT_PROMETHEUS:
		if (!*arg)
			return why_fail(why, whylen, "%s: empty path", word);
		o->prometheus = arg;
		return 0;
	case OPT_VERSION_INTENSITY:
		r = strnum_u64(arg, 0, 9, &v);
		if (r < 0)
			return why_fail(why, whylen, "%s: '%s' is not an intensity from 0 to 9",
			                word, arg);
		o->version_intensity = (int)v;
		return 0;
	case OPT_VERSION_LIGHT:
	case OPT_VERSION_ALL:
		o->version_intensity = d->id == OPT_VERSION_LIGHT ? 2 : 9;
		return 0;
	case OPT_PROBES:
		if (!*arg)
			return why_fail(why, whylen, "%s needs a probe file name", word);
		o->probes_file = arg;
		return 0;
	case OPT_SOURCE_IP:
		return scan_set_source(o, arg, word, why, whylen);
	case OPT_SEND_IP:
		o->send_ip = true;
		return 0;
	case OPT_SEND_ETH:
		o->send_eth = true;
		return 0;
	}
	return why_fail(why, whylen, "unknown option '%s' (see --help)", word);
}

/* First pass: options into o, target words and files into w. */
static int scan_collect(int argc, char **argv, struct scan_opts *o, struct scan_words *w, char *why,
                        size_t whylen)
{
	bool only_targets = false;
	int r;

	for (int i = 1; i < argc; i++) {
		const char *word = argv[i], *name, *eq, *arg;
		const struct scan_longdef *d;

		if (only_targets || word[0] != '-' || word[1] == '\0') {
			/* "-" alone is a (bad) target word, reported by the target parser. */
			w->targets[w->ntargets++] = word;
			continue;
		}
		if (strcmp(word, "--") == 0) {
			only_targets = true;
			continue;
		}
		/* Long options: --name, -name (as nmap), with "=value" or the next word. */
		name = word + (word[1] == '-' ? 2 : 1);
		eq = strchr(name, '=');
		d = scan_find_long(name, eq ? (size_t)(eq - name) : strlen(name));
		if (d) {
			if (!d->has_arg && eq)
				return why_fail(why, whylen, "option '%.*s' takes no argument",
				                (int)(eq - word), word);
			arg = NULL;
			if (d->has_arg) {
				if (eq)
					arg = eq + 1;
				else if (i + 1 < argc)
					arg = argv[++i];
				else
					return why_fail(
					    why, whylen,
					    "option '%s' needs an argument (see --help)", word);
			}
			r = scan_long(o, w, d, arg, word, why, whylen);
			if (r < 0)
				return r;
			continue;
		}
		if (word[1] == '-')
			return why_fail(why, whylen, "unknown option '%s' (see --help)", word);
		switch (word[1]) {
		case 'p':
			if (word[2])
				r = scan_set_ports(o, word + 2, why, whylen);
			else if (i + 1 < argc)
				r = scan_set_ports(o, argv[++i], why, whylen);
			else
				return why_fail(why, whylen,
				                "option '-p' needs a port list (see --help)");
			break;
		case 's':
			r = scan_set_types(o, word, why, whylen);
			break;
		case 'T':
			if (word[2])
				r = scan_set_timing(o, word + 2, why, whylen);
			else if (i + 1 < argc)
				r = scan_set_timing(o, argv[++i], why, whylen);
			else
				return why_fail(why, whylen,
				                "option '-T' needs a template, 0-5 (see --help)");
			break;
		case 'o':
			if (word[2] && word[3])
				r = scan_set_output(o, word[2], word + 3, word, why, whylen);
			else if (word[2] && i + 1 < argc)
				r = scan_set_output(o, word[2], argv[++i], word, why, whylen);
			else
				r = scan_set_output(o, word[2], NULL, word, why, whylen);
			break;
		case 'S':
			if (word[2])
				r = scan_set_source(o, word + 2, "-S", why, whylen);
			else if (i + 1 < argc)
				r = scan_set_source(o, argv[++i], "-S", why, whylen);
			else
				return why_fail(why, whylen,
				                "option '-S' needs an address (see --help)");
			break;
		case 'P':
			if (strcmp(word, "-Pn") != 0)
				return why_fail(why, whylen,
				                "unknown option '%s': host discovery is not done, "
				                "-Pn is the only -P option",
				                word);
			o->no_ping = true;
			r = 0;
			break;
		case '6':
		case 'n':
		case 'F':
		case 'h':
			if (word[2])
				return why_fail(why, whylen, "unknown option '%s' (see --help)",
				                word);
			o->ipv6 |= word[1] == '6';
			o->no_dns |= word[1] == 'n';
			o->fast |= word[1] == 'F';
			o->help |= word[1] == 'h';
			r = 0;
			break;
		default:
			return why_fail(why, whylen, "unknown option '%s' (see --help)", word);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* Options that make no sense together, as nmap judges them. */
static int scan_check_conflicts(const struct scan_opts *o, char *why, size_t whylen)
{
	if (o->list_only && (o->tcp_connect || o->tcp_syn || o->udp || o->version))
		return why_fail(why, whylen,
		                "-sL lists targets only: it cannot be combined with "
		                "-sT, -sS, -sU or -sV");
	if (!o->version && (o->version_intensity >= 0 || o->probes_file))
		return why_fail(why, whylen, "%s belongs to service detection: add -sV",
		                o->probes_file ? "--probes" : "--version-intensity");
	if (o->tcp_connect && o->tcp_syn)
		return why_fail(why, whylen, "-sT and -sS are both TCP scans: choose one");
	if (o->ports_given && (o->top_ports || o->fast))
		return why_fail(why, whylen, "-p cannot be combined with %s: choose one",
		                o->fast ? "-F" : "--top-ports");
	if (o->top_ports && o->fast)
		return why_fail(why, whylen, "-F and --top-ports both choose ports: choose one");
	if (o->db && o->no_history)
		return why_fail(why, whylen, "--db and --no-history: choose one");
	if (o->source_ip && (o->tcp_connect || o->list_only))
		return why_fail(why, whylen, "--source-ip needs a raw scan (-sS or -sU), not %s",
		                o->list_only ? "-sL" : "-sT");
	if (o->send_ip && o->send_eth)
		return why_fail(why, whylen, "--send-ip and --send-eth: choose one");
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

int scan_opts_parse(int argc, char **argv, struct scan_opts *opts, char *why, size_t whylen)
{
	struct scan_words w = {0};
	size_t n = argc > 0 ? (size_t)argc : 1;
	int r = -ENOMEM;

	memset(opts, 0, sizeof(*opts));
	opts->timing = -1;
	opts->max_retries = -1;
	opts->version_intensity = -1;
	if (why && whylen)
		why[0] = '\0';
	/* Each list holds at most one entry per word of argv. */
	w.targets = calloc(n, sizeof(*w.targets));
	w.files = calloc(n, sizeof(*w.files));
	w.excludes = calloc(n, sizeof(*w.excludes));
	w.excludefiles = calloc(n, sizeof(*w.excludefiles));
	if (w.targets && w.files && w.excludes && w.excludefiles) {
		r = scan_collect(argc, argv, opts, &w, why, whylen);
		if (r == 0 && !opts->help)
			r = scan_check_conflicts(opts, why, whylen);
		if (r == 0 && !opts->help)
			r = scan_build_targets(opts, &w, why, whylen);
		if (r == 0 && !opts->help)
			r = scan_target_words(opts, &w);
		if (r == 0 && !opts->help)
			r = scan_build_sources(opts, why, whylen);
	}
	if (r == -ENOMEM && why && whylen && !why[0])
		snprintf(why, whylen, "out of memory");
	free(w.targets);
	free(w.files);
	free(w.excludes);
	free(w.excludefiles);
	return r;
}

void scan_opts_free(struct scan_opts *opts)
{
	targetset_free(opts->targets);
	opts->targets = NULL;
	portspec_free(&opts->ports);
	free(opts->target_words);
	opts->target_words = NULL;
	free(opts->sources);
	opts->sources = NULL;
}
