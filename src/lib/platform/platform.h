/*
 * The platform layer: what the engines ask of the operating system where Linux
 * and Windows differ. One implementation per platform, in a file of its own
 * (platform-linux.c, platform-windows.c); meson builds the one of the host.
 *
 *   struct plat_socktab *t;
 *   platform->sockets_open(&t);                   // this namespace's sockets
 *   platform->sockets_dump(t, &req, cb, data);    // cb per socket, as sock_diag
 *   platform->sockets_close(t);
 *   struct plat_procs *m = platform->procs_new();
 *   platform->procs_start(m) ... platform->procs_wait(m);
 *   n = platform->procs_lookup(m, sock, idx, 8);  // owners of one socket
 *   platform->procs_pid(m, idx[0]), platform->procs_name(m, idx[0])
 *
 * The socket records are struct sockdiag_sock on every platform (see
 * sockets/socktab.h): Linux fills them from sock_diag, Windows from the IP
 * Helper's extended TCP/UDP tables (the owner's pid in .inode, since Windows
 * names the owner directly). The event loop is the other half of the layer:
 * Linux's epoll is used as it is; on Windows src/lib/platform/win32/ gives the
 * same <sys/epoll.h> calls over WSAPoll, and the POSIX socket calls over
 * Winsock, so that the scan and detection engines are one source.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockets/socktab.h"

struct plat_socktab; /* an open socket table (Linux: a sock_diag netlink socket) */
struct plat_procs;   /* socket owners (Linux: the /proc inode map) */

/* Called per own address: family AF_INET/AF_INET6, addr in network order (4 or 16 bytes). */
typedef void (*plat_addr_cb)(int family, const uint8_t *addr, void *data);

struct platform_ops {
	const char *name; /* "linux", "windows" */

	/* Opens the socket table of the calling thread's current network namespace. */
	int (*sockets_open)(struct plat_socktab **out);
	/* Calls cb per socket matching req. Returns 0, cb's non-zero return or -errno. */
	int (*sockets_dump)(struct plat_socktab *t, const struct sockdiag_req *req, sockdiag_cb cb,
	                    void *data);
	void (*sockets_close)(struct plat_socktab *t);

	/* A new empty owner map, NULL when out of memory. */
	struct plat_procs *(*procs_new)(void);
	/* Starts reading who owns which socket (it may run while sockets are dumped). */
	int (*procs_start)(struct plat_procs *m);
	/* Waits for procs_start's work; returns its result (0 or -errno). */
	int (*procs_wait)(struct plat_procs *m);
	/* Stores up to max owner indexes of s and returns how many owners s has (may be > max). */
	size_t (*procs_lookup)(const struct plat_procs *m, const struct sockdiag_sock *s,
	                       unsigned *idx, size_t max);
	long (*procs_pid)(const struct plat_procs *m, unsigned i);
	/* The owner's full process name (UTF-8); never NULL. */
	const char *(*procs_name)(struct plat_procs *m, unsigned i);
	/* Owners that could not be seen (other users' processes without privilege). */
	unsigned (*procs_unreadable)(const struct plat_procs *m);
	void (*procs_free)(struct plat_procs *m);

	/* The user owning s: a name, else its number, written to buf; returns buf. */
	const char *(*user_name)(const struct sockdiag_sock *s, char *buf, size_t len);

	/*
	 * The ephemeral (dynamic) port range. Returns 0 or -errno with why; on 0,
	 * why is left alone when the range is the machine's setting, else it says
	 * where the range comes from ("Windows default").
	 */
	int (*ephemeral_range)(uint16_t *lo, uint16_t *hi, char *why, size_t whylen);
	/* The first port an unprivileged process may bind. Returns 0 or -errno with why. */
	int (*unpriv_port_start)(uint16_t *start, char *why, size_t whylen);
	/* The setting unpriv_port_start reads; NULL: the platform has no privileged ports. */
	const char *unpriv_setting;

	/* Calls cb for each address of an interface that is up (loopback included). */
	int (*own_addresses)(plat_addr_cb cb, void *data);

	/* The default history file (Linux: $XDG_STATE_HOME/portscope/history.db). */
	int (*history_path)(char *buf, size_t len);
};

/* The running platform's operations. */
extern const struct platform_ops *const platform;
