#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "sockets/sockns.h"
#include "util/strnum.h"
#include "util/array.h"

int sockns_check_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 255 || strchr(name, '/') || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return -EINVAL;
	return 0;
}

/* Opens path relative to dirfd as a namespace; fills ns->fd and ns->inode. */
static int open_ns(int dirfd, const char *path, struct sockns *ns)
{
	struct statfs sfs;
	struct stat st;
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || fstatfs(fd, &sfs) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	if (sfs.f_type != NSFS_MAGIC) {
		close(fd);
		return -ENOENT; /* a left-over file in /run/netns, no namespace on it */
	}
	ns->fd = fd;
	ns->inode = st.st_ino;
	return 0;
}

static char *ino_name(uint64_t inode)
{
	char *s = NULL;

	if (asprintf(&s, "net:[%llu]", (unsigned long long)inode) < 0)
		return NULL;
	return s;
}

int sockns_open_name(const char *rundir, const char *name, struct sockns *ns)
{
	int dirfd, rc;

	if (sockns_check_name(name) < 0)
		return -EINVAL;
	dirfd = open(rundir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	rc = open_ns(dirfd, name, ns);
	close(dirfd);
	if (rc < 0)
		return rc;
	ns->name = strdup(name);
	if (!ns->name) {
		close(ns->fd);
		return -ENOMEM;
	}
	return 0;
}

void sockns_release(struct sockns *ns)
{
	if (ns->fd >= 0)
		close(ns->fd);
	free(ns->name);
	ns->fd = -1;
	ns->name = NULL;
}

void sockns_free_list(struct sockns *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sockns_release(&list[i]);
	free(list);
}

struct nslist {
	struct sockns *v;
	size_t n, cap;
};

static bool nslist_has(const struct nslist *l, uint64_t inode)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].inode == inode)
			return true;
	return false;
}

static int nslist_push(struct nslist *l, const struct sockns *ns)
{
	if (GREEDY_REALLOC(l->v, l->cap, l->n + 1) < 0)
		return -ENOMEM;
	l->v[l->n++] = *ns;
	return 0;
}

static int cmp_named(const void *a, const void *b)
{
	return strcmp(((const struct sockns *)a)->name, ((const struct sockns *)b)->name);
}

static int cmp_inode(const void *a, const void *b)
{
	uint64_t x = ((const struct sockns *)a)->inode, y = ((const struct sockns *)b)->inode;

	return x < y ? -1 : x > y;
}

/* Adds every namespace file in rundir to l. A missing rundir is no error. */
static int add_named(struct nslist *l, const char *rundir)
{
	DIR *d = opendir(rundir);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		struct sockns ns = {.fd = -1};

		if (sockns_check_name(e->d_name) < 0)
			continue;
		if (open_ns(dirfd(d), e->d_name, &ns) < 0)
			continue; /* not a namespace (a stale mount point) */
		if (nslist_has(l, ns.inode)) {
			close(ns.fd);
			continue;
		}
		ns.name = strdup(e->d_name);
		if (!ns.name || nslist_push(l, &ns) < 0) {
			sockns_release(&ns);
			rc = -ENOMEM;
			break;
		}
	}
	closedir(d);
	return rc;
}

/* Adds the namespace of every process in procdir that is not in l yet. */
static int add_procs(struct nslist *l, const char *procdir)
{
	DIR *d = opendir(procdir);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		struct sockns ns = {.fd = -1};
		char path[300];
		struct stat st;

		if (!strnum_is_digits(e->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/ns/net", e->d_name);
		/* stat first: cheaper than opening the many that are known already. */
		if (fstatat(dirfd(d), path, &st, 0) < 0 || nslist_has(l, st.st_ino))
			continue;
		if (open_ns(dirfd(d), path, &ns) < 0)
			continue;
		ns.name = ino_name(ns.inode);
		if (!ns.name || nslist_push(l, &ns) < 0) {
			sockns_release(&ns);
			rc = -ENOMEM;
			break;
		}
	}
	closedir(d);
	return rc;
}

int sockns_list_all(const char *rundir, const char *procdir, struct sockns **out, size_t *n)
{
	struct nslist l = {0};
	size_t named;
	int rc;

	rc = add_named(&l, rundir);
	named = l.n;
	if (rc == 0)
		rc = add_procs(&l, procdir);
	if (rc < 0) {
		sockns_free_list(l.v, l.n);
		return rc;
	}
	if (named > 1)
		qsort(l.v, named, sizeof(*l.v), cmp_named);
	if (l.n - named > 1)
		qsort(l.v + named, l.n - named, sizeof(*l.v), cmp_inode);
	*out = l.v;
	*n = l.n;
	return 0;
}

int sockns_current(const char *rundir, struct sockns *ns)
{
	DIR *d;
	struct dirent *e;
	int rc;

	ns->name = NULL;
	rc = open_ns(AT_FDCWD, "/proc/thread-self/ns/net", ns);
	if (rc < 0)
		return rc;
	d = opendir(rundir);
	while (d && (e = readdir(d))) {
		struct stat st;

		if (sockns_check_name(e->d_name) < 0 || fstatat(dirfd(d), e->d_name, &st, 0) < 0)
			continue;
		if (st.st_ino == ns->inode && (st.st_mode & S_IFMT) == S_IFREG) {
			ns->name = strdup(e->d_name);
			break;
		}
	}
	if (d)
		closedir(d);
	if (!ns->name)
		ns->name = ino_name(ns->inode);
	if (!ns->name) {
		sockns_release(ns);
		return -ENOMEM;
	}
	return 0;
}

int sockns_enter(const struct sockns *ns, int *saved)
{
	int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (setns(ns->fd, CLONE_NEWNET) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	*saved = fd;
	return 0;
}

int sockns_leave(int saved)
{
	int rc = setns(saved, CLONE_NEWNET) < 0 ? -errno : 0;

	close(saved);
	return rc;
}
