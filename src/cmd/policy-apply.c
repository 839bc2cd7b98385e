/*
 * portscope policy apply: load the compiled policy, but never lock out the
 * person applying it.
 *
 *   1. A policy that allows nothing is refused (exit 1), as is one that would
 *      deny the SSH connection apply runs from (exit 3), unless --force.
 *   2. With --confirm SECONDS (on by default from an SSH session on a
 *      terminal), as Debian's iptables-apply: the table as it was is saved, a
 *      watchdog process is started, the new table loaded, and the terminal
 *      asked; anything but "yes" in time (a timeout, another answer, end of
 *      input, a hang-up) puts the saved table back byte for byte (exit 1).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cmd/common.h"
#include "cmd/policy.h"
#include "policy/lint.h"
#include "policy/nft.h"
#include "policy/rollback.h"
#include "policy/session.h"
#include "util/clock.h"

#define CONFIRM_DEFAULT 10   /* seconds, as iptables-apply */
#define LOAD_ALLOWANCE  600  /* seconds the watchdog waits for the load itself */
#define ARM_GRACE       2    /* seconds the watchdog gives beyond the question's */
#define LOUD_RULES      5000 /* say "loading" on a terminal for policies this large */

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

/* The SSH connection apply runs from, if any (-1: none, else the lockout verdict). */
static int lockout_guard(const struct policy_opts *o, const struct policy *p,
                         struct policy_client *c, bool *in_ssh)
{
	const char *env = getenv("SSH_CONNECTION");
	char addr[64];
	ssize_t idx;
	int rc = policy_client_find(env, "/proc", c);

	if (rc == -EINVAL) {
		cmd_error(
		    CMD, "note: ignoring SSH_CONNECTION '%.80s' (expected CLIENT PORT SERVER PORT)",
		    env);
		rc = policy_client_find(NULL, "/proc", c);
	}
	*in_ssh = rc == 1;
	if (rc != 1 || o->force)
		return EXIT_OK;
	idx = policy_lockout(p, c);
	if (idx < 0)
		return EXIT_OK;
	policy_addr_format(&c->addr, addr, sizeof(addr));
	if ((size_t)idx == p->nrules)
		cmd_error(
		    CMD,
		    "refusing to apply %s: it would cut off the SSH connection from %s to port "
		    "%u/tcp (%s): no rule allows it and the chain drops the rest; --force "
		    "applies anyway",
		    o->file, addr, c->server_port, c->how);
	else
		cmd_error(
		    CMD,
		    "refusing to apply %s: it would cut off the SSH connection from %s to port "
		    "%u/tcp (%s): line %u '%s' %s it; --force applies anyway",
		    o->file, addr, c->server_port, c->how, p->rules[idx].line, p->rules[idx].text,
		    p->rules[idx].action == POLICY_REJECT ? "rejects" : "denies");
	return EXIT_RUNTIME;
}

enum answer {
	ANSWER_YES,
	ANSWER_NO,
	ANSWER_TIMEOUT,
	ANSWER_EOF,
	ANSWER_SIGNAL,
};

/* Whether line (len bytes) says yes: "yes" or "y", any case, blanks around. */
static bool is_yes(const char *line, size_t len)
{
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ' ||
	               line[len - 1] == '\t'))
		len--;
	while (len && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	return (len == 3 && !strncasecmp(line, "yes", 3)) || (len == 1 && (*line | 0x20) == 'y');
}

/* Waits up to seconds for one line on stdin; signals in mask are let through while waiting. */
static enum answer ask(unsigned seconds, const sigset_t *waitmask)
{
	int64_t deadline = (int64_t)clock_mono_ms() + (int64_t)seconds * 1000;
	char line[256];
	size_t len = 0;

	for (;;) {
		struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
		int64_t left = deadline - (int64_t)clock_mono_ms();
		struct timespec ts;
		ssize_t n;
		int r;

		if (got_signal)
			return ANSWER_SIGNAL;
		if (left <= 0)
			return ANSWER_TIMEOUT;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		r = ppoll(&pfd, 1, &ts, waitmask);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return ANSWER_EOF;
		if (r == 0)
			continue;
		n = read(STDIN_FILENO, line + len, sizeof(line) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return len && is_yes(line, len) ? ANSWER_YES : ANSWER_EOF;
		len += (size_t)n;
		if (memchr(line, '\n', len) || len == sizeof(line) - 1)
			return is_yes(line, len) ? ANSWER_YES : ANSWER_NO;
	}
}

static const char *answer_name(enum answer a)
{
	switch (a) {
	case ANSWER_YES:
		return "confirmed";
	case ANSWER_NO:
		return "not confirmed";
	case ANSWER_TIMEOUT:
		return "no answer in time";
	case ANSWER_EOF:
		return "end of input";
	case ANSWER_SIGNAL:
		break;
	}
	return got_signal == SIGHUP ? "hang-up" : "interrupted";
}

/* Loads body with the watchdog in place, asks, keeps or rolls back. Returns an exit status. */
static int confirm_load(const struct policy_opts *o, const char *body, unsigned seconds)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigset_t block, old;
	struct policy_rollback rb;
	enum answer a;
	char why[512], *saved = NULL;
	int rc;

	rc = policy_nft_save(POLICY_NFT_TABLE, &saved, why, sizeof(why));
	if (rc < 0) {
		cmd_error(CMD, "saving the current table inet %s: %s", POLICY_NFT_TABLE,
		          why[0] ? why : strerror(-rc));
		return EXIT_RUNTIME;
	}
	/* the signals that end the session wait in the mask until the question */
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a hung-up terminal: writes fail, we carry on */

	rc = policy_rollback_start(&rb, POLICY_NFT_TABLE, saved, seconds + LOAD_ALLOWANCE);
	if (rc < 0) {
		cmd_error(CMD, "starting the roll-back process: %s", strerror(-rc));
		free(saved);
		return EXIT_RUNTIME;
	}
	rc = policy_nft_load(POLICY_NFT_TABLE, body, false, why, sizeof(why));
	if (rc < 0) {
		/* nothing changed: the kernel refused the transaction */
		policy_rollback_finish(&rb, true, NULL, 0);
		free(saved);
		if (rc == -EPERM)
			cmd_error(CMD, "loading nftables rules needs root (CAP_NET_ADMIN): %s",
			          why);
		else
			cmd_error(CMD, "nftables refused the ruleset: %s",
			          why[0] ? why : strerror(-rc));
		return EXIT_RUNTIME;
	}
	policy_rollback_arm(&rb, seconds + ARM_GRACE);
	fprintf(stderr,
	        "portscope policy: %s loaded into table inet %s. Keep it? Type yes within %u s, "
	        "or the previous ruleset comes back: ",
	        o->file, POLICY_NFT_TABLE, seconds);
	fflush(stderr);
	a = ask(seconds, &old);
	if (a != ANSWER_YES)
		fputc('\n', stderr);
	rc = policy_rollback_finish(&rb, a == ANSWER_YES, why, sizeof(why));
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (rc == 0) {
		printf("%s: table inet %s loaded and kept\n", o->file, POLICY_NFT_TABLE);
		free(saved);
		return EXIT_OK;
	}
	if (rc < 0) {
		cmd_error(CMD, "%s, and putting the previous ruleset back FAILED: %s; it was:\n%s",
		          answer_name(a), why, saved ? saved : "(no table)\n");
		free(saved);
		return EXIT_RUNTIME;
	}
	cmd_error(CMD, "%s: the previous ruleset is back (%s)", answer_name(a),
	          saved ? "table inet " POLICY_NFT_TABLE " as it was"
	                : "no table inet " POLICY_NFT_TABLE);
	free(saved);
	return EXIT_FINDINGS;
}

int policy_cmd_apply(const struct policy_opts *o)
{
	struct policy_nft_opts no = {.source = strcmp(o->file, "-") ? o->file : "stdin",
	                             .no_ping = o->no_ping,
	                             .layout = o->maps ? POLICY_NFT_MAPS : POLICY_NFT_AUTO,
	                             .body_only = true};
	struct policy_client client;
	struct policy p = {0};
	char why[512], *body = NULL;
	size_t len;
	bool in_ssh, loud;
	unsigned confirm;
	int st, rc;

	st = policy_cmd_load(o, &p);
	if (st == EXIT_OK)
		st = policy_cmd_refuse_nothing(o, &p, "apply");
	if (st == EXIT_OK)
		st = lockout_guard(o, &p, &client, &in_ssh);
	if (st == EXIT_OK) {
		rc = policy_nft_compile(&p, &no, &body, &len);
		if (rc < 0) {
			cmd_error(CMD, "compile: %s", strerror(-rc));
			st = EXIT_RUNTIME;
		}
	}
	loud = p.nrules >= LOUD_RULES && cmd_is_smart_terminal(stderr);
	policy_free(&p);
	if (st != EXIT_OK)
		return st;

	/* from an SSH session on a terminal, ask unless told not to */
	confirm = o->confirm >= 0                  ? (unsigned)o->confirm
	          : in_ssh && isatty(STDIN_FILENO) ? CONFIRM_DEFAULT
	                                           : 0;
	if (o->confirm < 0 && confirm)
		fprintf(stderr,
		        "portscope policy: run from an SSH session: asking before keeping the new "
		        "rules (--confirm 0 does not ask)\n");
	if (loud)
		fprintf(stderr, "portscope policy: loading into nftables...");
	if (confirm && !o->dry_run) {
		if (loud)
			fputs("\r\033[K", stderr);
		st = confirm_load(o, body, confirm);
		free(body);
		return st;
	}
	rc = policy_nft_load(POLICY_NFT_TABLE, body, o->dry_run, why, sizeof(why));
	if (loud)
		fputs("\r\033[K", stderr);
	free(body);
	if (rc == -EPERM) {
		cmd_error(CMD, "loading nftables rules needs root (CAP_NET_ADMIN): %s", why);
		return EXIT_RUNTIME;
	}
	if (rc < 0) {
		cmd_error(CMD, "nftables refused the ruleset: %s", why[0] ? why : strerror(-rc));
		return EXIT_RUNTIME;
	}
	if (o->dry_run)
		printf("%s: ruleset for table inet %s accepted (dry run, nothing loaded)\n",
		       o->file, POLICY_NFT_TABLE);
	else
		printf("%s: table inet %s loaded\n", o->file, POLICY_NFT_TABLE);
	return EXIT_OK;
}
