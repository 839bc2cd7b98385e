/*
 * Network namespaces for `ls --netns`: by name (/run/netns/NAME, as ip-netns
 * makes them) or all of them (every /run/netns entry and every /proc/PID/ns/net,
 * de-duplicated by inode).
 *
 * A sock_diag socket dumps the namespace it was created in, so dumping another
 * namespace is: sockns_enter(), sockdiag_open(), sockns_leave(), then dump.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Where ip-netns keeps its named namespaces. */
#define SOCKNS_RUN_DIR "/run/netns"

struct sockns {
	char *name;     /* the /run/netns name, else "net:[INODE]" */
	int fd;         /* open namespace file, O_CLOEXEC */
	uint64_t inode; /* nsfs inode, what tells namespaces apart */
};

/*
 * Checks a namespace name: non-empty, at most 255 bytes, no '/', not "." or "..".
 * Returns 0 or -EINVAL.
 */
int sockns_check_name(const char *name);

/*
 * Opens the namespace rundir/NAME into ns. Returns 0, -EINVAL for a bad name,
 * -ENOENT when there is none of that name, or another negative errno.
 */
int sockns_open_name(const char *rundir, const char *name, struct sockns *ns);

/*
 * Lists every namespace found in rundir and procdir/PID/ns/net, each once,
 * named ones first (by name), then the others by inode. Unreadable /proc
 * entries are skipped. Returns 0 with *out (free with sockns_free_list) or a
 * negative errno.
 */
int sockns_list_all(const char *rundir, const char *procdir, struct sockns **out, size_t *n);

/* The name of the calling thread's own namespace: its /run/netns name or "net:[INODE]". */
int sockns_current(const char *rundir, struct sockns *ns);

void sockns_release(struct sockns *ns);
void sockns_free_list(struct sockns *list, size_t n);

/*
 * Moves the calling thread into ns, storing in *saved a descriptor of the
 * namespace it was in. Returns 0 or a negative errno (-EPERM unprivileged).
 */
int sockns_enter(const struct sockns *ns, int *saved);

/* Moves the calling thread back to saved and closes it. Returns 0 or a negative errno. */
int sockns_leave(int saved);
