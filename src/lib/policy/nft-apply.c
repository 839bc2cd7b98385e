/*
 * Loads a compiled policy through libnftables: one batch, so one transaction.
 * The table's content is replaced in place (its chains, sets, maps and
 * flowtables deleted and the new ones added) so that the table keeps its place
 * among the others; saving and restoring use the same path.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/capability.h>
#include <linux/nsfs.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy/nft.h"
#include "util/array.h"

/* Copies nft's error text to why as one line (its messages span several). */
static void one_line(const char *msg, char *why, size_t whylen)
{
	size_t n = 0;

	if (!why || whylen == 0)
		return;
	for (; msg && *msg && n + 1 < whylen; msg++) {
		char c = *msg == '\n' || *msg == '\t' ? ' ' : *msg;
		if (c == ' ' && (n == 0 || why[n - 1] == ' '))
			continue;
		why[n++] = c;
	}
	while (n && why[n - 1] == ' ')
		n--;
	why[n] = '\0';
}

/*
 * Whether this process holds CAP_NET_ADMIN. Asked first because libnftables
 * prints its own "(you must be root)" on stderr when the netlink socket fails.
 */
static bool have_net_admin(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {{0}};

	if (syscall(SYS_capget, &hdr, data) != 0)
		return true; /* unknown: let netlink tell */
	return data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective & CAP_TO_MASK(CAP_NET_ADMIN);
}

/* Whether this network namespace belongs to our user namespace (true when unknown). */
static bool netns_of_our_userns(void)
{
	struct stat own, ours;
	int net = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), user;
	bool same = true;

	if (net < 0)
		return true;
	user = ioctl(net, NS_GET_USERNS);
	if (user >= 0 && fstat(user, &own) == 0 && stat("/proc/self/ns/user", &ours) == 0)
		same = own.st_ino == ours.st_ino && own.st_dev == ours.st_dev;
	if (user >= 0)
		close(user);
	close(net);
	return same;
}

/* A libnftables context for table whose output and errors stay in buffers. */
static int ctx_new(const char *table, struct nft_ctx **out, char *why, size_t whylen)
{
	struct nft_ctx *ctx;

	if (why && whylen)
		why[0] = '\0';
	if (table && !policy_nft_table_ok(table))
		return -EINVAL;
	if (!have_net_admin()) {
		one_line("this process runs without it", why, whylen);
		return -EPERM;
	}
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return -ENOMEM;
	if (nft_ctx_buffer_output(ctx) != 0 || nft_ctx_buffer_error(ctx) != 0) {
		nft_ctx_free(ctx);
		return -ENOMEM;
	}
	*out = ctx;
	return 0;
}

/* Runs cmd; on failure why gets nft's message. */
static int run(struct nft_ctx *ctx, const char *cmd, char *why, size_t whylen)
{
	const char *err;
	int rc;

	if (nft_run_cmd_from_buffer(ctx, cmd) == 0)
		return 0;
	err = nft_ctx_get_error_buffer(ctx);
	one_line(err && *err ? err : "nftables rejected the ruleset", why, whylen);
	rc = -EINVAL;
	if (err && strstr(err, "Operation not permitted")) {
		/* CAP_NET_ADMIN is held (asked first): the kernel refuses for another reason. */
		rc = netns_of_our_userns() ? -EACCES : -EPERM;
		snprintf(why, whylen, "%s",
		         rc == -EACCES
		             ? "the kernel said 'Operation not permitted' though this process "
		               "holds CAP_NET_ADMIN: is a table of that name owned by another "
		               "program (nft list tables), or does a security module forbid it?"
		             : "this process's CAP_NET_ADMIN is in a user namespace that does "
		               "not own the network namespace");
	}
	return rc;
}

/* The kinds of objects replaced in place, in the order they are deleted. */
static const struct {
	const char *list; /* the listing that names them (terse: no elements) */
	const char *key;  /* their JSON key */
} kinds[] = {
    {"list maps inet", "map"},
    {"list sets inet", "set"},
    {"list flowtables inet", "flowtable"},
    {"list chains inet", "chain"},
};

/*
 * Appends "delete KIND inet TABLE handle N" to f for each object of table the
 * listing cmd names (nft's JSON: {"nftables": [{"chain": {"family", "table",
 * "handle", ...}}, ...]}).
 */
static int put_deletes(struct nft_ctx *ctx, const char *table, const char *cmd, const char *key,
                       FILE *f, char *why, size_t whylen)
{
	json_t *root, *arr, *item;
	json_error_t jerr;
	size_t i;
	int rc = run(ctx, cmd, why, whylen);

	if (rc < 0)
		return rc;
	root = json_loads(nft_ctx_get_output_buffer(ctx), 0, &jerr);
	if (!root) {
		snprintf(why, whylen, "nft '%s' printed no JSON: %s", cmd, jerr.text);
		return -EIO;
	}
	arr = json_object_get(root, "nftables");
	json_array_foreach(arr, i, item)
	{
		json_t *o = json_object_get(item, key);
		const char *fam = json_string_value(json_object_get(o, "family"));
		const char *tab = json_string_value(json_object_get(o, "table"));
		json_t *handle = json_object_get(o, "handle");

		if (!o || !fam || !tab || !json_is_integer(handle) || strcmp(fam, "inet") ||
		    strcmp(tab, table))
			continue;
		/* by handle: a name may be anything, even an nft keyword */
		fprintf(f, "delete %s inet %s handle %lld\n", key, table,
		        (long long)json_integer_value(handle));
	}
	json_decref(root);
	return 0;
}

/* The commands that empty table in place (nothing when it does not exist). */
static int put_emptying(struct nft_ctx *ctx, const char *table, FILE *f, char *why, size_t whylen)
{
	unsigned flags = nft_ctx_output_get_flags(ctx);
	int rc = 0;

	nft_ctx_output_set_flags(ctx, flags | NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_TERSE);
	fprintf(f, "table inet %s {}\nflush table inet %s\n", table, table);
	for (size_t i = 0; i < ARRAY_SIZE(kinds) && rc == 0; i++)
		rc = put_deletes(ctx, table, kinds[i].list, kinds[i].key, f, why, whylen);
	nft_ctx_output_set_flags(ctx, flags);
	return rc;
}

int policy_nft_load(const char *table, const char *body, bool dry_run, char *why, size_t whylen)
{
	struct nft_ctx *ctx;
	char *script = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	rc = ctx_new(table, &ctx, why, whylen);
	if (rc < 0)
		return rc;
	f = open_memstream(&script, &len);
	if (!f) {
		nft_ctx_free(ctx);
		return -ENOMEM;
	}
	if (body) {
		rc = put_emptying(ctx, table, f, why, whylen);
		fputs(body, f);
	} else {
		fprintf(f, "table inet %s {}\ndelete table inet %s\n", table, table);
	}
	if (fclose(f) != 0 && rc == 0)
		rc = -ENOMEM;
	if (rc == 0) {
		nft_ctx_set_dry_run(ctx, dry_run);
		rc = run(ctx, script, why, whylen);
	}
	free(script);
	nft_ctx_free(ctx);
	return rc;
}

int policy_nft_save(const char *table, char **text, char *why, size_t whylen)
{
	struct nft_ctx *ctx;
	char cmd[64];
	int rc;

	*text = NULL;
	rc = ctx_new(table, &ctx, why, whylen);
	if (rc < 0)
		return rc;
	/* does it exist? (listing a missing table is an error we must tell from others) */
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_TERSE);
	rc = run(ctx, "list tables inet", why, whylen);
	if (rc == 0) {
		json_t *root = json_loads(nft_ctx_get_output_buffer(ctx), 0, NULL), *item;
		bool found = false;
		size_t i;

		json_array_foreach(json_object_get(root, "nftables"), i, item)
		{
			const char *name = json_string_value(
			    json_object_get(json_object_get(item, "table"), "name"));
			found = found || (name && !strcmp(name, table));
		}
		json_decref(root);
		if (!found)
			goto out; /* none: *text stays NULL */
	}
	if (rc == 0) {
		nft_ctx_output_set_flags(ctx, 0);
		snprintf(cmd, sizeof(cmd), "list table inet %s", table);
		rc = run(ctx, cmd, why, whylen);
	}
	if (rc == 0) {
		*text = strdup(nft_ctx_get_output_buffer(ctx));
		if (!*text)
			rc = -ENOMEM;
	}
out:
	nft_ctx_free(ctx);
	return rc;
}

int policy_nft_apply(const char *script, bool dry_run, char *why, size_t whylen)
{
	struct nft_ctx *ctx;
	int rc = ctx_new(NULL, &ctx, why, whylen);

	if (rc < 0)
		return rc;
	nft_ctx_set_dry_run(ctx, dry_run);
	rc = run(ctx, script, why, whylen);
	nft_ctx_free(ctx);
	return rc;
}
