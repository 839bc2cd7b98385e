/* A rule's text, nft-like, rendered from its JSON expressions (what a trace shows). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firewall/fw-private.h"

struct buf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void put(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *ns;

		while (b->len + n + 1 > cap)
			cap *= 2;
		ns = realloc(b->s, cap);
		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

static void putf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	put(b, tmp);
}

static void value(struct buf *b, json_t *j, bool quote);

static void first_key(json_t *j, const char **k, json_t **v)
{
	*k = NULL;
	*v = NULL;
	if (json_is_object(j))
		json_object_foreach(j, *k, *v) return;
}

/* An expression we have no form for: its name and its plain string/number fields. */
static void generic(struct buf *b, const char *k, json_t *v)
{
	const char *f;
	json_t *x;

	put(b, k);
	json_object_foreach(v, f, x)
	{
		if (json_is_string(x))
			putf(b, " %s", json_string_value(x));
		else if (json_is_integer(x))
			putf(b, " %lld", (long long)json_integer_value(x));
	}
}

static void expr(struct buf *b, json_t *j)
{
	const char *k;
	json_t *v;

	first_key(j, &k, &v);
	if (!k) {
		value(b, j, false);
		return;
	}
	if (strcmp(k, "meta") == 0) {
		const char *key = json_string_value(json_object_get(v, "key"));
		static const char *const bare[] = {"iif",     "iifname", "oif",
		                                   "oifname", "mark",    NULL};
		bool b1 = false;

		for (const char *const *p = bare; key && *p; p++)
			b1 |= strcmp(key, *p) == 0;
		putf(b, "%s%s", b1 && strcmp(key, "mark") != 0 ? "" : "meta ", key ? key : "?");
	} else if (strcmp(k, "payload") == 0) {
		const char *proto = json_string_value(json_object_get(v, "protocol"));
		const char *field = json_string_value(json_object_get(v, "field"));

		if (proto && field)
			putf(b, "%s %s", proto, field);
		else
			put(b, "@payload");
	} else if (strcmp(k, "ct") == 0) {
		const char *key = json_string_value(json_object_get(v, "key"));
		const char *dir = json_string_value(json_object_get(v, "dir"));

		putf(b, "ct %s%s%s", dir ? dir : "", dir ? " " : "", key ? key : "?");
	} else if (strcmp(k, "fib") == 0) {
		size_t i;
		json_t *f, *flags = json_object_get(v, "flags");

		put(b, "fib ");
		if (json_is_string(flags))
			put(b, json_string_value(flags));
		json_array_foreach(flags, i, f)
		{
			if (i)
				put(b, " . ");
			put(b, json_string_value(f) ? json_string_value(f) : "?");
		}
		putf(b, " %s", json_string_value(json_object_get(v, "result")) ?: "?");
	} else if (strcmp(k, "concat") == 0 && json_is_array(v)) {
		size_t i;
		json_t *e;

		json_array_foreach(v, i, e)
		{
			if (i)
				put(b, " . ");
			expr(b, e);
		}
	} else if ((strcmp(k, "&") == 0 || strcmp(k, "|") == 0) && json_array_size(v) == 2) {
		expr(b, json_array_get(v, 0));
		putf(b, " %s ", k);
		value(b, json_array_get(v, 1), false);
	} else if (strcmp(k, "map") == 0) {
		expr(b, json_object_get(v, "key"));
		put(b, " map ");
		value(b, json_object_get(v, "data"), false);
	} else {
		generic(b, k, v);
	}
}

static void value(struct buf *b, json_t *j, bool quote)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_string(j)) {
		if (quote)
			putf(b, "\"%s\"", json_string_value(j));
		else
			put(b, json_string_value(j));
		return;
	}
	if (json_is_integer(j)) {
		putf(b, "%lld", (long long)json_integer_value(j));
		return;
	}
	if (json_is_boolean(j)) {
		put(b, json_is_true(j) ? "exists" : "missing");
		return;
	}
	if (json_is_array(j)) {
		json_t *e;

		json_array_foreach(j, i, e)
		{
			if (i)
				put(b, ",");
			value(b, e, quote);
		}
		return;
	}
	first_key(j, &k, &v);
	if (!k) {
		put(b, "?");
		return;
	}
	if (strcmp(k, "prefix") == 0) {
		putf(b, "%s/%lld", json_string_value(json_object_get(v, "addr")) ?: "?",
		     (long long)json_integer_value(json_object_get(v, "len")));
	} else if (strcmp(k, "range") == 0 && json_array_size(v) == 2) {
		value(b, json_array_get(v, 0), quote);
		put(b, "-");
		value(b, json_array_get(v, 1), quote);
	} else if (strcmp(k, "set") == 0) {
		json_t *e;

		if (!json_is_array(v)) {
			value(b, v, quote);
			return;
		}
		put(b, "{ ");
		json_array_foreach(v, i, e)
		{
			if (i)
				put(b, ", ");
			if (json_is_array(e) && json_array_size(e) == 2) {
				value(b, json_array_get(e, 0), quote);
				put(b, " : ");
				value(b, json_array_get(e, 1), quote);
			} else {
				value(b, e, quote);
			}
		}
		put(b, " }");
	} else if (strcmp(k, "concat") == 0 && json_is_array(v)) {
		json_t *e;

		json_array_foreach(v, i, e)
		{
			if (i)
				put(b, " . ");
			value(b, e, quote);
		}
	} else if (strcmp(k, "elem") == 0) {
		value(b, json_object_get(v, "val"), quote);
	} else if (strcmp(k, "jump") == 0 || strcmp(k, "goto") == 0) {
		putf(b, "%s %s", k, json_string_value(json_object_get(v, "target")) ?: "?");
	} else if (json_is_null(v)) {
		put(b, k);
	} else if (strcmp(k, "meta") == 0 || strcmp(k, "payload") == 0 || strcmp(k, "ct") == 0 ||
	           strcmp(k, "fib") == 0 || strcmp(k, "map") == 0) {
		expr(b, j);
	} else {
		generic(b, k, v);
	}
}

static bool is_ifname(json_t *left)
{
	const char *k = json_string_value(json_object_get(json_object_get(left, "meta"), "key"));

	return k && (strcmp(k, "iifname") == 0 || strcmp(k, "oifname") == 0 ||
	             strcmp(k, "iif") == 0 || strcmp(k, "oif") == 0);
}

static void nat(struct buf *b, const char *k, json_t *v)
{
	const char *fam = json_string_value(json_object_get(v, "family"));
	json_t *addr = json_object_get(v, "addr"), *port = json_object_get(v, "port");

	put(b, k);
	if (fam)
		putf(b, " %s", fam);
	if (addr || port)
		put(b, " to ");
	if (addr) {
		bool v6 = json_is_string(addr) && strchr(json_string_value(addr), ':') && port;

		if (v6)
			put(b, "[");
		if (json_object_get(addr, "map"))
			expr(b, addr);
		else
			value(b, addr, false);
		if (v6)
			put(b, "]");
	}
	if (port) {
		put(b, ":");
		value(b, port, false);
	}
}

static void stmt(struct buf *b, json_t *e)
{
	const char *k;
	json_t *v;

	first_key(e, &k, &v);
	if (!k) {
		put(b, "?");
		return;
	}
	if (strcmp(k, "match") == 0) {
		const char *op = json_string_value(json_object_get(v, "op"));
		json_t *left = json_object_get(v, "left");

		expr(b, left);
		if (op && strcmp(op, "==") != 0 && strcmp(op, "in") != 0)
			putf(b, " %s", op);
		put(b, " ");
		value(b, json_object_get(v, "right"), is_ifname(left));
	} else if (strcmp(k, "counter") == 0) {
		put(b, "counter");
	} else if (strcmp(k, "log") == 0) {
		const char *prefix = json_string_value(json_object_get(v, "prefix"));

		put(b, "log");
		if (prefix)
			putf(b, " prefix \"%s\"", prefix);
	} else if (strcmp(k, "reject") == 0) {
		const char *type = json_string_value(json_object_get(v, "type"));
		const char *code = json_string_value(json_object_get(v, "expr"));

		put(b, "reject");
		if (type && strcmp(type, "tcp reset") == 0)
			put(b, " with tcp reset");
		else if (type)
			putf(b, " with %s %s", type, code ? code : "port-unreachable");
	} else if (strcmp(k, "vmap") == 0) {
		expr(b, json_object_get(v, "key"));
		put(b, " vmap ");
		value(b, json_object_get(v, "data"), false);
	} else if (strcmp(k, "dnat") == 0 || strcmp(k, "snat") == 0 || strcmp(k, "redirect") == 0 ||
	           strcmp(k, "masquerade") == 0) {
		nat(b, k, v);
	} else if (strcmp(k, "mangle") == 0) {
		expr(b, json_object_get(v, "key"));
		put(b, " set ");
		value(b, json_object_get(v, "value"), false);
	} else if (strcmp(k, "limit") == 0) {
		putf(b, "limit rate %lld/%s",
		     (long long)json_integer_value(json_object_get(v, "rate")),
		     json_string_value(json_object_get(v, "per")) ?: "second");
	} else if (strcmp(k, "xt") == 0) {
		putf(b, "xt %s \"%s\"", json_string_value(json_object_get(v, "type")) ?: "?",
		     json_string_value(json_object_get(v, "name")) ?: "?");
	} else if (json_is_null(v)) {
		put(b, k);
	} else {
		generic(b, k, v);
	}
}

char *fw_rule_render(json_t *list)
{
	struct buf b = {0};
	size_t i;
	json_t *e;

	put(&b, "");
	json_array_foreach(list, i, e)
	{
		if (i)
			put(&b, " ");
		stmt(&b, e);
	}
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}
