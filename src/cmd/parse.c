/* The command layer's option parser (see cmd.h); the only one in portscope. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "util/array.h"
#include "util/why.h"

/* Every command takes -h and --help. */
static const struct cmd_option help_option = {
    .name = "help", .letter = 'h', .id = CMD_OPT_HELP, .help = "this help"};

/* The state of one parse. */
struct parser {
	const struct cmd_spec *spec;
	struct cmd_args *a;
	int argc;
	char **argv;
	int i; /* the word being read */
	char *why;
	size_t whylen;
};

static int value_id(const struct cmd_option *o)
{
	return o->id ? o->id : (unsigned char)o->letter;
}

/* A name as the table spells it, without the one-dash mark of NMAP names ("-iL"). */
static const char *bare_name(const struct cmd_option *o)
{
	return o->name[0] == '-' ? o->name + 1 : o->name;
}

/*
 * The option whose name is name[0..len): an exact match, else (GNU style) the
 * only one it is a prefix of. *ambiguous is set when several are.
 */
static const struct cmd_option *find_name(const struct cmd_spec *spec, const char *name, size_t len,
                                          bool *ambiguous)
{
	static const struct cmd_option none[1];
	const struct cmd_option *o = spec->options ? spec->options : none, *prefix = NULL;
	unsigned nprefix = 0;

	*ambiguous = false;
	for (;; o++) {
		const char *n;

		if (!o->name && !o->letter)
			o = &help_option; /* after the table's own */
		n = o->name ? bare_name(o) : NULL;
		if (n && strlen(n) == len && strncmp(n, name, len) == 0)
			return o;
		if (n && spec->style == CMD_STYLE_GNU && len && strncmp(n, name, len) == 0 &&
		    (!prefix || value_id(prefix) != value_id(o))) {
			prefix = o;
			nprefix++;
		}
		if (o == &help_option)
			break;
	}
	*ambiguous = nprefix > 1;
	return nprefix == 1 ? prefix : NULL;
}

static const struct cmd_option *find_letter(const struct cmd_spec *spec, char c)
{
	if (c == 'h')
		return &help_option;
	for (const struct cmd_option *o = spec->options; o && (o->name || o->letter); o++)
		if (o->letter && o->letter == c)
			return o;
	return NULL;
}

/* The sibling subcommand that knows the option, for "does not apply to" messages. */
static bool sibling_knows(const struct parser *p, const char *name, size_t len, char letter)
{
	const struct cmd_spec *parent = p->a->parent;
	bool amb;

	for (size_t i = 0; parent && parent->subs[i]; i++) {
		const struct cmd_spec *s = parent->subs[i];

		if (s == p->spec)
			continue;
		if (name ? find_name(s, name, len, &amb) != NULL : find_letter(s, letter) != NULL)
			return true;
	}
	return false;
}

static int unknown(const struct parser *p, const char *shown, const char *name, size_t len,
                   char letter)
{
	if (sibling_knows(p, name, len, letter))
		return why_err(p->why, p->whylen, -EINVAL,
		               "option '%s' does not apply to '%s %s' (see --help)", shown,
		               p->a->parent->name, p->spec->name);
	return why_err(p->why, p->whylen, -EINVAL, "unknown option '%s' (see --help)", shown);
}

/* Records one option; the common ones fill a's fields. */
static int record(struct parser *p, const struct cmd_option *o, const char *flag, size_t flaglen,
                  const char *arg, const char *key)
{
	struct cmd_args *a = p->a;
	struct cmd_value *v;

	switch (o->id) {
	case CMD_OPT_HELP:
		a->help = true;
		return 0;
	case CMD_OPT_JSON:
		a->json = true;
		break;
	case CMD_OPT_NO_COLOR:
		a->no_color = true;
		break;
	case CMD_OPT_DB:
		if (!*arg)
			return why_err(p->why, p->whylen, -EINVAL, "%.*s: empty path", (int)flaglen,
			               flag);
		a->db = arg;
		break;
	}
	if (o->once && cmd_has(a, value_id(o)))
		return why_err(p->why, p->whylen, -EINVAL, "%.*s given twice (see --help)",
		               (int)flaglen, flag);
	v = &a->values[a->nvalues++];
	*v = (struct cmd_value){.opt = o, .id = value_id(o), .arg = arg, .key = key};
	snprintf(v->flag, sizeof(v->flag), "%.*s", (int)flaglen, flag);
	return 0;
}

/* The next word as an option's argument. */
static int next_arg(struct parser *p, const char *flag, size_t flaglen, const char **arg)
{
	if (p->i + 1 >= p->argc)
		return why_err(p->why, p->whylen, -EINVAL,
		               "option '%.*s' needs an argument (see --help)", (int)flaglen, flag);
	*arg = p->argv[++p->i];
	return 0;
}

/* "-sT, -sS, -sU": the words of o's choices after its flag, for messages. */
static void choice_list(const struct cmd_option *o, const char *flag, char *buf, size_t len)
{
	struct cmd_choice c;
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; o->choices && o->choices(i, &c) && used < len; i++)
		used +=
		    (size_t)snprintf(buf + used, len - used, "%s%s%s", i ? ", " : "", flag, c.word);
}

/* KEYED: the longest choice that rest begins with; its length, or 0. */
static size_t match_key(const struct cmd_option *o, const char *rest)
{
	struct cmd_choice c;
	size_t best = 0;

	for (size_t i = 0; o->choices && o->choices(i, &c); i++) {
		size_t n = strlen(c.word);

		if (n > best && strncmp(rest, c.word, n) == 0)
			best = n;
	}
	return best;
}

/*
 * GLUED: whether rest is choices' words one after another (-sSU: S, U), or
 * with tail one choice and anything after it (-PS22,80); any rest without choices.
 */
static bool glued_ok(const struct cmd_option *o, const char *rest)
{
	size_t k;

	if (!o->choices)
		return true;
	if (o->tail)
		return match_key(o, rest) > 0;
	for (; *rest; rest += k)
		if (!(k = match_key(o, rest)))
			return false;
	return true;
}

/* --name[=value] (and -name in NMAP style). Returns 1 when it was no option of ours. */
static int parse_name(struct parser *p, const char *word)
{
	const char *name = word + (word[1] == '-' ? 2 : 1), *eq = strchr(name, '='), *arg = NULL;
	size_t len = eq ? (size_t)(eq - name) : strlen(name), flaglen = (size_t)(name - word) + len;
	bool ambiguous;
	const struct cmd_option *o = find_name(p->spec, name, len, &ambiguous);
	int r;

	if (!o) {
		if (word[1] != '-')
			return 1; /* NMAP: may still be a letter */
		if (ambiguous)
			return why_err(p->why, p->whylen, -EINVAL,
			               "option '%.*s' is ambiguous (see --help)", (int)flaglen,
			               word);
		return unknown(p, word, name, len, 0);
	}
	if (o->arg == CMD_ARG_NONE && eq)
		return why_err(p->why, p->whylen, -EINVAL, "option '%.*s' takes no argument",
		               (int)flaglen, word);
	if (o->arg != CMD_ARG_NONE) {
		if (eq) {
			arg = eq + 1;
		} else {
			r = next_arg(p, word, flaglen, &arg);
			if (r < 0)
				return r;
		}
	}
	return record(p, o, word, flaglen, arg, NULL);
}

/* -x, -xVALUE, -x VALUE; GNU: -abc is -a -b -c. */
static int parse_letters(struct parser *p, const char *word)
{
	bool nmap = p->spec->style == CMD_STYLE_NMAP;
	char flag[3] = {'-', 0, 0}, list[160];

	for (const char *c = word + 1; *c; c++) {
		const struct cmd_option *o = find_letter(p->spec, *c);
		const char *rest = c + 1, *arg = NULL;
		size_t k;
		int r;

		flag[1] = *c;
		if (!o || (nmap && o->arg == CMD_ARG_NONE && *rest))
			return unknown(p, nmap ? word : flag, NULL, 0, *c);
		switch (o->arg) {
		case CMD_ARG_NONE:
			r = record(p, o, flag, 2, NULL, NULL);
			if (r < 0)
				return r;
			continue;
		case CMD_ARG_REQUIRED:
			if (*rest)
				arg = rest;
			else if ((r = next_arg(p, flag, 2, &arg)) < 0)
				return r;
			return record(p, o, flag, 2, arg, NULL);
		case CMD_ARG_GLUED:
			if (!*rest && !o->bare) {
				choice_list(o, flag, list, sizeof(list));
				return why_err(p->why, p->whylen, -EINVAL,
				               "option '%s' needs one of %s (see --help)", flag,
				               list);
			}
			snprintf(list, sizeof(list), "-%c%s", *c, rest);
			if (!glued_ok(o, rest))
				return unknown(p, list, NULL, 0, *c);
			return record(p, o, list, strlen(list), rest, NULL);
		case CMD_ARG_KEYED:
			k = match_key(o, rest);
			if (!k)
				return unknown(p, word, NULL, 0, *c);
			if (rest[k])
				arg = rest + k;
			else if ((r = next_arg(p, word, (size_t)(rest + k - word), &arg)) < 0)
				return r;
			r = record(p, o, word, (size_t)(rest + k - word), arg, NULL);
			if (r == 0) {
				/* The key, NUL-terminated, is kept in the flag: "-oX" → "X". */
				struct cmd_value *v = &p->a->values[p->a->nvalues - 1];

				v->key = v->flag + (rest - word);
			}
			return r;
		}
	}
	return 0;
}

static bool is_dash_digits(const char *w)
{
	return w[0] == '-' && w[1] >= '0' && w[1] <= '9';
}

/* The words of one (sub)command. */
static int parse_words(struct parser *p)
{
	struct cmd_args *a = p->a;
	bool only_words = false;
	int r;

	for (p->i = 1; p->i < p->argc && !a->help; p->i++) {
		const char *w = p->argv[p->i];

		if (only_words || w[0] != '-' || w[1] == '\0' ||
		    (p->spec->dash_digits_are_words && is_dash_digits(w))) {
			a->words[a->nwords++] = p->argv[p->i];
			continue;
		}
		if (strcmp(w, "--") == 0) {
			only_words = true;
			continue;
		}
		r = 1;
		if (w[1] == '-' || p->spec->style == CMD_STYLE_NMAP)
			r = parse_name(p, w);
		if (r > 0)
			r = parse_letters(p, w);
		if (r < 0)
			return r;
	}
	return 0;
}

static const char *const number_words[] = {"no", "one", "two", "three", "four", "five"};

/* The last word of a usage line, without brackets and dots: "[B]]" → "B". */
static void last_usage_word(const char *usage, char *buf, size_t len)
{
	const char *end = usage + strlen(usage), *start;
	size_t n;

	while (end > usage && strchr(" .]", end[-1]))
		end--;
	start = end;
	while (start > usage && !strchr(" [", start[-1]))
		start--;
	n = (size_t)(end - start) < len ? (size_t)(end - start) : len - 1;
	memcpy(buf, start, n);
	buf[n] = '\0';
}

/* More words than the command takes. */
static int too_many(const struct parser *p)
{
	const struct cmd_spec *s = p->spec;
	const char *w = p->a->words[s->max_words];
	char last[64], name[64];

	if (s->max_words == 0)
		return why_err(p->why, p->whylen, -EINVAL, "unexpected argument '%s' (see --help)",
		               w);
	last_usage_word(s->usage, last, sizeof(last));
	snprintf(name, sizeof(name), "%s%s%s", p->a->parent ? p->a->parent->name : "",
	         p->a->parent ? " " : "", s->name);
	return why_err(
	    p->why, p->whylen, -EINVAL,
	    "unexpected argument '%s' after %s: %s takes at most %s argument%s", w, last, name,
	    (size_t)s->max_words < ARRAY_SIZE(number_words) ? number_words[s->max_words] : "a few",
	    s->max_words == 1 ? "" : "s");
}

/* A command of subcommands: the first word picks one. */
static int pick_sub(struct parser *p)
{
	const struct cmd_spec *top = p->spec;
	char names[256];
	size_t used = 0, n = 0;

	while (top->subs[n])
		n++;
	for (size_t i = 0; i < n && used < sizeof(names); i++)
		used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
		                         i == 0       ? ""
		                         : i + 1 == n ? " or "
		                                      : ", ",
		                         top->subs[i]->name);
	if (p->argc < 2)
		return why_err(p->why, p->whylen, -EINVAL, "needs a subcommand: %s (see --help)",
		               names);
	if (strcmp(p->argv[1], "-h") == 0 || strcmp(p->argv[1], "--help") == 0) {
		p->a->help = true;
		return 0;
	}
	p->a->spec = cmd_find(top->subs, p->argv[1]);
	if (!p->a->spec)
		return why_err(p->why, p->whylen, -EINVAL,
		               "unknown subcommand '%s': expected %s (see --help)", p->argv[1],
		               names);
	p->a->parent = top;
	p->spec = p->a->spec;
	p->argc--;
	p->argv++;
	return 0;
}

int cmd_parse(const struct cmd_spec *spec, int argc, char **argv, struct cmd_args *a, char *why,
              size_t whylen)
{
	struct parser p = {
	    .spec = spec, .a = a, .argc = argc, .argv = argv, .why = why, .whylen = whylen};
	size_t n = 1;
	int r;

	/* A word is one value at most, or one per letter of a cluster (-tulnp). */
	for (int i = 1; i < argc; i++)
		n += strlen(argv[i]);
	*a = (struct cmd_args){.spec = spec, .argc = argc, .argv = argv};
	why_set(why, whylen, "%s", "");
	a->words = calloc(n, sizeof(*a->words));
	a->values = calloc(n, sizeof(*a->values));
	if (!a->words || !a->values)
		return why_err(why, whylen, -ENOMEM, "out of memory");
	if (spec->subs) {
		r = pick_sub(&p);
		if (r < 0 || a->help)
			return r;
	}
	r = parse_words(&p);
	if (r == 0 && !a->help && p.spec->max_words >= 0 && a->nwords > (size_t)p.spec->max_words)
		r = too_many(&p);
	return r;
}

void cmd_args_free(struct cmd_args *a)
{
	free(a->words);
	free(a->values);
	a->words = NULL;
	a->values = NULL;
	a->nwords = a->nvalues = 0;
}

bool cmd_has(const struct cmd_args *a, int id)
{
	return cmd_last(a, id) != NULL;
}

size_t cmd_count(const struct cmd_args *a, int id)
{
	size_t n = 0;

	for (size_t i = 0; i < a->nvalues; i++)
		n += a->values[i].id == id;
	return n;
}

const struct cmd_value *cmd_last(const struct cmd_args *a, int id)
{
	for (size_t i = a->nvalues; i-- > 0;)
		if (a->values[i].id == id)
			return &a->values[i];
	return NULL;
}

const char *cmd_get(const struct cmd_args *a, int id)
{
	const struct cmd_value *v = cmd_last(a, id);

	return v ? v->arg : NULL;
}

const struct cmd_spec *cmd_find(const struct cmd_spec *const *specs, const char *name)
{
	for (size_t i = 0; specs[i]; i++)
		if (strcmp(specs[i]->name, name) == 0)
			return specs[i];
	return NULL;
}
