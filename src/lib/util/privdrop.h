/*
 * Privileges of raw scans: whether this process may open raw sockets, and
 * dropping every privilege once they are open (user nobody, no supplementary
 * groups, empty capability sets, no_new_privs). Call privdrop_nobody() before
 * starting threads: capability sets belong to a thread.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Whether the effective capability set holds CAP_NET_RAW. */
bool privdrop_have_net_raw(void);

/* Whether this process holds CAP_NET_ADMIN (reading nftables needs it). */
bool privdrop_have_net_admin(void);

/*
 * Becomes nobody (when running as root) and clears every capability.
 * Returns 0, or a negative errno with why naming the step that failed.
 */
int privdrop_nobody(char *why, size_t whylen);
