/* Loads a compiled policy through libnftables: one batch, so one transaction. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/nsfs.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy/nft.h"

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

int policy_nft_apply(const char *script, bool dry_run, char *why, size_t whylen)
{
	struct nft_ctx *ctx;
	const char *err;
	int rc;

	if (why && whylen)
		why[0] = '\0';
	if (!have_net_admin()) {
		one_line("this process runs without it", why, whylen);
		return -EPERM;
	}
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return -ENOMEM;
	/* Keep nft's own messages off stdout/stderr: the command layer reports. */
	if (nft_ctx_buffer_output(ctx) != 0 || nft_ctx_buffer_error(ctx) != 0) {
		nft_ctx_free(ctx);
		return -ENOMEM;
	}
	nft_ctx_set_dry_run(ctx, dry_run);
	rc = nft_run_cmd_from_buffer(ctx, script);
	if (rc != 0) {
		err = nft_ctx_get_error_buffer(ctx);
		one_line(err && *err ? err : "nftables rejected the ruleset", why, whylen);
		rc = -EINVAL;
		if (err && strstr(err, "Operation not permitted")) {
			/* CAP_NET_ADMIN is held (asked above): the kernel refuses for another
			 * reason. */
			rc = netns_of_our_userns() ? -EACCES : -EPERM;
			snprintf(
			    why, whylen, "%s",
			    rc == -EACCES
			        ? "the kernel said 'Operation not permitted' though this process "
			          "holds CAP_NET_ADMIN: is a table of that name owned by another "
			          "program (nft list tables), or does a security module forbid it?"
			        : "this process's CAP_NET_ADMIN is in a user namespace that does "
			          "not own the network namespace");
		}
	}
	nft_ctx_free(ctx);
	return rc;
}
