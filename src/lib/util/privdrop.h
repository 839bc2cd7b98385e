/*
 * Privileges of raw scans: whether this process may open raw sockets, and
 * giving every privilege up once they are open. Root becomes nobody (no
 * supplementary groups); a user who holds capabilities through the binary's
 * file capabilities (the Debian package's cap_net_raw,cap_net_admin+ep for
 * group portscope) keeps the uid, so that the history stays the user's own.
 * Either way the capability sets end empty, with no_new_privs. Call before
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
 * Gives up every privilege: becomes nobody when running as root with
 * CAP_SETUID and CAP_SETGID, else keeps the uid; then clears every capability
 * and sets no_new_privs. Returns 0, or a negative errno with why naming the
 * step that failed.
 */
int privdrop_all(char *why, size_t whylen);

/*
 * For runs that need no privilege (a TCP connect scan): a process that is not
 * root clears any capability it holds (file capabilities) and sets
 * no_new_privs; root is left as it is. Returns 0 or a negative errno with why.
 */
int privdrop_unneeded(char *why, size_t whylen);
