/*
 * The SSH connection a command runs in, and whether a policy would cut it off:
 * the lockout guard of `policy apply`.
 *
 * The client is taken from SSH_CONNECTION ("CLIENT CPORT SERVER SPORT", as sshd
 * sets it), else from the peer of the TCP socket an sshd ancestor of this
 * process holds (sudo drops SSH_CONNECTION; the socket stays). An inherited
 * SSH_CONNECTION whose sshd lives in another network namespace (a lab made
 * with `ip netns exec`) is not this firewall's business and is ignored.
 *
 * Example: SSH_CONNECTION="10.0.0.6 51234 10.0.0.1 22" and the docs' policy
 *   policy_lockout() returns 2 (DENY ALL): new connections from 10.0.0.6 to
 *   22/tcp would be dropped.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/policy.h"

struct policy_client {
	struct policy_addr addr; /* the client, one address (IPv4-mapped IPv6 made IPv4) */
	uint16_t port;           /* its port */
	uint16_t server_port;    /* the port it connected to */
	char how[48];            /* "SSH_CONNECTION" or "sshd (pid 1234)" */
};

/*
 * Parses SSH_CONNECTION's "CLIENT CPORT SERVER SPORT" (a "%scope" suffix is
 * dropped). Returns 0 or -EINVAL.
 */
int policy_client_parse(const char *ssh_connection, struct policy_client *out);

/*
 * Finds the SSH connection this process runs in: ssh_connection (the
 * environment's SSH_CONNECTION, or NULL) unless an sshd ancestor in another
 * network namespace handed it down, else the peer of an sshd ancestor's socket
 * in this namespace. procdir is "/proc" (tests may pass another). Returns 1
 * with *out, 0 when there is none, or a negative errno.
 */
int policy_client_find(const char *ssh_connection, const char *procdir, struct policy_client *out);

/*
 * Whether p would drop or reject a new connection from c: returns the index of
 * the deciding rule when it does not allow it, p->nrules when no rule matches
 * (the compiled chain's policy drops it), or -1 when it is allowed. A client on
 * the loopback is always allowed (the chain accepts "lo" first).
 */
ssize_t policy_lockout(const struct policy *p, const struct policy_client *c);
