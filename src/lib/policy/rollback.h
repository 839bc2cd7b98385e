/*
 * The roll-back watchdog of `policy apply --confirm` (Debian's iptables-apply,
 * made so that nothing short of a reboot leaves the new rules in place
 * unconfirmed): a child process, in a session of its own so that the hang-up
 * of the terminal does not reach it, that puts the saved table back
 *   - when told to (no "yes": the caller says roll back),
 *   - when the caller dies (its end of the pipe closes: SIGKILL, a crash),
 *   - when its deadline passes (the caller stopped, or stuck).
 * It keeps the new table only when told to keep it.
 *
 *   policy_nft_save(table, &saved, ...);
 *   policy_rollback_start(&rb, table, saved, 600);   before loading anything
 *   policy_nft_load(table, body, ...);
 *   policy_rollback_arm(&rb, seconds + 2);            the countdown from now
 *   ... ask ...
 *   policy_rollback_finish(&rb, answer_was_yes, why, sizeof(why));
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct policy_rollback {
	pid_t pid;  /* the watchdog */
	int ctl;    /* commands to it */
	int report; /* its message, when a restore failed */
};

/*
 * Forks the watchdog for table inet TABLE with saved (a policy_nft_save()
 * listing, NULL: there was no table). It restores after max_seconds unless
 * armed or finished before. Returns 0 or a negative errno.
 */
int policy_rollback_start(struct policy_rollback *rb, const char *table, const char *saved,
                          unsigned max_seconds);

/* Restarts the watchdog's countdown: it restores seconds from now. Returns 0 or -errno. */
int policy_rollback_arm(struct policy_rollback *rb, unsigned seconds);

/*
 * Tells the watchdog to keep the new table or to restore now, and waits for
 * it. Returns 0 when kept, 1 when the saved table is back (or was already put
 * back by the watchdog's own deadline), or a negative errno with why when the
 * restore failed.
 */
int policy_rollback_finish(struct policy_rollback *rb, bool keep, char *why, size_t whylen);
