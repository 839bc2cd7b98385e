/*
 * The socket inode → process map, from /proc/PID/fd (what ss -p and lsof do).
 *
 * A scan has two phases: (1) list every process's fd directory with
 * getdents64, keeping the directories open; (2) readlinkat() each fd relative
 * to its directory, recording "socket:[INODE]" links. sockproc_scan_start()
 * runs both in a thread of its own while the caller dumps sock_diag (socket
 * inodes are unique machine-wide); sockproc_scan_wait() then works on phase 2
 * too, from the other end of the list, so that both cores share it.
 *
 *   struct sockproc *m = sockproc_new();
 *   sockproc_scan_start(m, "/proc");   ... dump sockets ...   sockproc_scan_wait(m);
 *   size_t n = sockproc_lookup(m, inode, idx, 8);  // idx[0..min(n,8)) are process indexes
 *   sockproc_pid(m, idx[0]), sockproc_name(m, idx[0])
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sockproc;

/* Returns a new empty map, or NULL when out of memory. */
struct sockproc *sockproc_new(void);
void sockproc_free(struct sockproc *m);

/* Scans procdir (normally "/proc") in the calling thread. Returns 0 or a negative errno. */
int sockproc_scan(struct sockproc *m, const char *procdir);

/* Starts sockproc_scan() in a new thread; returns 0 or a negative errno. */
int sockproc_scan_start(struct sockproc *m, const char *procdir);

/* Helps the thread finish, waits for it; returns the scan's result. */
int sockproc_scan_wait(struct sockproc *m);

/*
 * Stores up to max process indexes holding the socket inode (each process
 * once, in /proc order) and returns how many processes hold it (may be > max).
 */
size_t sockproc_lookup(const struct sockproc *m, uint32_t inode, unsigned *idx, size_t max);

/* The pid of process index i. */
pid_t sockproc_pid(const struct sockproc *m, unsigned i);

/* The full process name of index i (read once, then cached); never NULL. */
const char *sockproc_name(struct sockproc *m, unsigned i);

/* Number of processes whose fd directory could not be read (EACCES/EPERM). */
unsigned sockproc_unreadable(const struct sockproc *m);

/*
 * Parses a /proc/PID/fd link target of len bytes: "socket:[12345]" gives
 * 0 and *inode = 12345. Returns -EINVAL for anything else ("pipe:[1]",
 * "socket:[]", "socket:[12x]", "socket:[99999999999]" out of 32 bits).
 */
int sockproc_parse_link(const char *link, size_t len, uint32_t *inode);

/*
 * The full name of a process from its /proc/PID/cmdline (len bytes, NUL-
 * separated) and comm: the basename of argv[0], with a rewritten title cut at
 * the first ':' or ' ' ("sshd: root@pts/0" → "sshd", "nginx: master process"
 * → "nginx"), or comm when argv[0] is empty (kernel threads, zombies).
 * Writes at most outlen bytes (NUL included) to out; returns out.
 */
char *sockproc_name_from(const char *cmdline, size_t len, const char *comm, char *out,
                         size_t outlen);
