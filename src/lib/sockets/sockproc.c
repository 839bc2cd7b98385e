#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockets/sockproc.h"
#include "util/strnum.h"
#include "util/array.h"

#define DENTS_BUF    (32 * 1024)
#define NAME_MAX_LEN 256
/* fds resolved per claim in phase 2: small enough to balance two workers. */
#define RESOLVE_CHUNK 512

/* One open file of a process; a socket once inode is set. */
struct sockproc_entry {
	uint32_t inode; /* socket inode, 0 until resolved or when not a socket */
	uint32_t proc;  /* index into procs */
	uint32_t fd;
	int32_t next; /* next socket entry in the same bucket, -1 at the end */
};

struct sockproc_proc {
	pid_t pid;
	int fdfd;   /* its open /proc/PID/fd during the scan, else -1 */
	char *name; /* NULL until sockproc_name() */
};

struct sockproc {
	struct sockproc_entry *ents;
	size_t nents, ecap;
	struct sockproc_proc *procs;
	size_t nprocs, pcap;
	int32_t *buckets; /* heads of chains into ents, -1 empty */
	size_t nbuckets;  /* power of two, 0 before the index is built */
	unsigned unreadable;
	int procfd; /* kept open for reading names later */
	char *procdir;
	pthread_t thread;
	bool threaded;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool path_mode; /* fd directories not kept open (EMFILE) */
	bool listed;    /* phase 1 over (under lock) */
	int list_rc;    /* its result */
	size_t lo, hi;  /* phase 2: entries not claimed yet (under lock) */
	char *dents;    /* DENTS_BUF bytes */
};

struct sockproc *sockproc_new(void)
{
	struct sockproc *m = calloc(1, sizeof(*m));

	if (m) {
		m->procfd = -1;
		pthread_mutex_init(&m->lock, NULL);
		pthread_cond_init(&m->cond, NULL);
	}
	return m;
}

void sockproc_free(struct sockproc *m)
{
	if (!m)
		return;
	if (m->threaded)
		(void)sockproc_scan_wait(m);
	for (size_t i = 0; i < m->nprocs; i++) {
		if (m->procs[i].fdfd >= 0)
			close(m->procs[i].fdfd);
		free(m->procs[i].name);
	}
	free(m->procs);
	free(m->ents);
	free(m->buckets);
	free(m->procdir);
	free(m->dents);
	if (m->procfd >= 0)
		close(m->procfd);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->cond);
	free(m);
}

int sockproc_parse_link(const char *link, size_t len, uint32_t *inode)
{
	static const char pre[] = "socket:[";
	const size_t plen = sizeof(pre) - 1;
	uint64_t v;

	if (len < plen + 2 || memcmp(link, pre, plen) != 0 || link[len - 1] != ']')
		return -EINVAL;
	if (strnum_u64n(link + plen, len - plen - 1, 1, UINT32_MAX, &v) < 0)
		return -EINVAL;
	*inode = (uint32_t)v;
	return 0;
}

char *sockproc_name_from(const char *cmdline, size_t len, const char *comm, char *out,
                         size_t outlen)
{
	size_t a0 = strnlen(cmdline, len), start = 0, end;

	if (outlen == 0)
		return out;
	/* A rewritten title ("sshd: root@pts/0") keeps its program name first. */
	end = a0;
	for (size_t i = 0; i < a0; i++) {
		if (cmdline[i] == ':' || cmdline[i] == ' ') {
			end = i;
			break;
		}
	}
	for (size_t i = 0; i < end; i++)
		if (cmdline[i] == '/')
			start = i + 1;
	if (end > start) {
		size_t n = end - start < outlen - 1 ? end - start : outlen - 1;

		memcpy(out, cmdline + start, n);
		out[n] = '\0';
	} else {
		snprintf(out, outlen, "%s", comm ? comm : "");
	}
	return out;
}

static int add_entry(struct sockproc *m, uint32_t proc, uint32_t fd)
{
	if (GREEDY_REALLOC(m->ents, m->ecap, m->nents + 1) < 0)
		return -ENOMEM;
	m->ents[m->nents++] = (struct sockproc_entry){.proc = proc, .fd = fd, .next = -1};
	return 0;
}

static int add_proc(struct sockproc *m, pid_t pid, int fdfd, uint32_t *idx)
{
	if (GREEDY_REALLOC(m->procs, m->pcap, m->nprocs + 1) < 0)
		return -ENOMEM;
	m->procs[m->nprocs] = (struct sockproc_proc){.pid = pid, .fdfd = fdfd, .name = NULL};
	*idx = (uint32_t)m->nprocs++;
	return 0;
}

/* Appends the fd numbers in the directory fdfd. Returns 0 or -ENOMEM. */
static int list_fds(struct sockproc *m, int fdfd, uint32_t proc)
{
	int rc;

	for (;;) {
		ssize_t n = getdents64(fdfd, m->dents, DENTS_BUF);

		if (n <= 0)
			break;
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(m->dents + off);
			uint64_t fd;

			off += d->d_reclen;
			if (strnum_u64(d->d_name, 0, UINT32_MAX, &fd) < 0)
				continue;
			rc = add_entry(m, proc, (uint32_t)fd);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* Lists the open files of one process (phase 1). Returns 0 or -ENOMEM. */
static int list_pid(struct sockproc *m, const char *pidname, pid_t pid)
{
	char path[32];
	uint32_t proc;
	int fdfd, rc;

	if (snprintf(path, sizeof(path), "%s/fd", pidname) >= (int)sizeof(path))
		return 0;
	fdfd = openat(m->procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fdfd < 0 && (errno == EMFILE || errno == ENFILE) && !m->path_mode) {
		/* Too many processes to keep a directory open for each. */
		for (size_t i = 0; i < m->nprocs; i++) {
			if (m->procs[i].fdfd >= 0)
				close(m->procs[i].fdfd);
			m->procs[i].fdfd = -1;
		}
		m->path_mode = true;
		fdfd = openat(m->procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fdfd < 0) {
		if (errno == EACCES || errno == EPERM)
			m->unreadable++;
		return 0; /* ENOENT: the process is gone */
	}
	rc = add_proc(m, pid, m->path_mode ? -1 : fdfd, &proc);
	if (rc < 0) {
		close(fdfd);
		return rc;
	}
	rc = list_fds(m, fdfd, proc);
	if (m->path_mode)
		close(fdfd);
	return rc;
}

/* Phase 1: every pid's fd directory open and its fd numbers listed. */
static int list_all(struct sockproc *m, const char *procdir)
{
	char top[8192];
	int rc = 0;

	m->dents = malloc(DENTS_BUF);
	if (!m->dents)
		return -ENOMEM;
	m->procfd = open(procdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->procfd < 0)
		return -errno;
	for (;;) {
		ssize_t n = getdents64(m->procfd, top, sizeof(top));

		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(top + off);
			uint64_t pid;

			off += d->d_reclen;
			if (d->d_name[0] < '1' || d->d_name[0] > '9')
				continue;
			if (strnum_u64(d->d_name, 1, INT32_MAX, &pid) < 0)
				continue;
			rc = list_pid(m, d->d_name, (pid_t)pid);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/*
 * Claims the next chunk of phase 2: the scan thread from the front, the caller
 * from the back, so that the two rarely work in the same fd directory (they
 * would contend on its dentry). Returns false when nothing is left.
 */
static bool claim(struct sockproc *m, bool back, size_t *from, size_t *to)
{
	bool ok;

	pthread_mutex_lock(&m->lock);
	ok = m->lo < m->hi;
	if (ok && !back) {
		*from = m->lo;
		*to = m->hi - m->lo > RESOLVE_CHUNK ? m->lo + RESOLVE_CHUNK : m->hi;
		m->lo = *to;
	} else if (ok) {
		*to = m->hi;
		*from = m->hi - m->lo > RESOLVE_CHUNK ? m->hi - RESOLVE_CHUNK : m->lo;
		m->hi = *from;
	}
	pthread_mutex_unlock(&m->lock);
	return ok;
}

/* Phase 2, run by every worker: readlinkat() chunks of the listed fds. */
static void resolve_chunks(struct sockproc *m, bool back)
{
	char name[40], link[64];
	size_t from, to;

	while (claim(m, back, &from, &to)) {
		for (size_t i = from; i < to; i++) {
			struct sockproc_entry *e = &m->ents[i];
			const struct sockproc_proc *p = &m->procs[e->proc];
			ssize_t ln;
			uint32_t inode;

			if (p->fdfd >= 0) {
				snprintf(name, sizeof(name), "%u", e->fd);
				ln = readlinkat(p->fdfd, name, link, sizeof(link));
			} else {
				snprintf(name, sizeof(name), "%d/fd/%u", (int)p->pid, e->fd);
				ln = readlinkat(m->procfd, name, link, sizeof(link));
			}
			if (ln > 0 && sockproc_parse_link(link, (size_t)ln, &inode) == 0)
				e->inode = inode;
		}
	}
}

static uint32_t hash_inode(uint32_t inode)
{
	return inode * 2654435761u;
}

/* Chains the socket entries by inode; closes the fd directories. */
static int build_index(struct sockproc *m)
{
	size_t nb = 16, nsock = 0;

	for (size_t i = 0; i < m->nprocs; i++) {
		if (m->procs[i].fdfd >= 0)
			close(m->procs[i].fdfd);
		m->procs[i].fdfd = -1;
	}
	for (size_t i = 0; i < m->nents; i++)
		nsock += m->ents[i].inode != 0;
	while (nb < nsock * 2)
		nb *= 2;
	m->buckets = malloc(nb * sizeof(*m->buckets));
	if (!m->buckets)
		return -ENOMEM;
	memset(m->buckets, 0xff, nb * sizeof(*m->buckets));
	m->nbuckets = nb;
	/* Backwards, so that head insertion leaves each chain in /proc order. */
	for (size_t i = m->nents; i-- > 0;) {
		uint32_t b;

		if (m->ents[i].inode == 0)
			continue;
		b = hash_inode(m->ents[i].inode) & (uint32_t)(nb - 1);
		m->ents[i].next = m->buckets[b];
		m->buckets[b] = (int32_t)i;
	}
	return 0;
}

/* Phase 1 then the worker's share of phase 2; publishes phase 1's end. */
static int scan_run(struct sockproc *m, const char *procdir)
{
	int rc = list_all(m, procdir);

	free(m->dents);
	m->dents = NULL;
	pthread_mutex_lock(&m->lock);
	m->listed = true;
	m->list_rc = rc;
	m->lo = 0;
	m->hi = m->nents;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	if (rc == 0)
		resolve_chunks(m, false);
	return rc;
}

int sockproc_scan(struct sockproc *m, const char *procdir)
{
	int rc;

	if (m->procfd >= 0 || m->nbuckets || m->threaded)
		return -EBUSY;
	rc = scan_run(m, procdir);
	return rc < 0 ? rc : build_index(m);
}

static void *scan_thread(void *arg)
{
	struct sockproc *m = arg;

	(void)scan_run(m, m->procdir);
	return NULL;
}

int sockproc_scan_start(struct sockproc *m, const char *procdir)
{
	int rc;

	if (m->threaded || m->procfd >= 0 || m->nbuckets)
		return -EBUSY;
	m->procdir = strdup(procdir);
	if (!m->procdir)
		return -ENOMEM;
	rc = pthread_create(&m->thread, NULL, scan_thread, m);
	if (rc)
		return -rc;
	m->threaded = true;
	return 0;
}

int sockproc_scan_wait(struct sockproc *m)
{
	int rc;

	if (!m->threaded)
		return -EINVAL;
	/* Help with phase 2 once phase 1 has listed every fd. */
	pthread_mutex_lock(&m->lock);
	while (!m->listed)
		pthread_cond_wait(&m->cond, &m->lock);
	rc = m->list_rc;
	pthread_mutex_unlock(&m->lock);
	if (rc == 0)
		resolve_chunks(m, true);
	pthread_join(m->thread, NULL);
	m->threaded = false;
	return rc < 0 ? rc : build_index(m);
}

size_t sockproc_lookup(const struct sockproc *m, uint32_t inode, unsigned *idx, size_t max)
{
	size_t n = 0, stored = 0;
	uint32_t last = UINT32_MAX;

	if (!m->nbuckets || inode == 0)
		return 0;
	for (int32_t i = m->buckets[hash_inode(inode) & (uint32_t)(m->nbuckets - 1)]; i >= 0;
	     i = m->ents[i].next) {
		const struct sockproc_entry *e = &m->ents[i];

		/* A process holding it on several fds has them next to each other. */
		if (e->inode != inode || e->proc == last)
			continue;
		last = e->proc;
		if (stored < max)
			idx[stored++] = e->proc;
		n++;
	}
	return n;
}

pid_t sockproc_pid(const struct sockproc *m, unsigned i)
{
	return i < m->nprocs ? m->procs[i].pid : -1;
}

/* Reads up to len-1 bytes of PID/file under procfd; returns the count (0 on error). */
static size_t read_small(int procfd, pid_t pid, const char *file, char *buf, size_t len)
{
	char path[48];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%d/%s", (int)pid, file);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	return (size_t)n;
}

const char *sockproc_name(struct sockproc *m, unsigned i)
{
	char cmdline[1024], comm[64], name[NAME_MAX_LEN];
	size_t n;

	if (i >= m->nprocs)
		return "?";
	if (m->procs[i].name)
		return m->procs[i].name;
	n = read_small(m->procfd, m->procs[i].pid, "comm", comm, sizeof(comm));
	if (n > 0 && comm[n - 1] == '\n')
		comm[n - 1] = '\0';
	n = read_small(m->procfd, m->procs[i].pid, "cmdline", cmdline, sizeof(cmdline));
	sockproc_name_from(cmdline, n, comm, name, sizeof(name));
	m->procs[i].name = strdup(name[0] ? name : "?");
	return m->procs[i].name ? m->procs[i].name : "?";
}

unsigned sockproc_unreadable(const struct sockproc *m)
{
	return m->unreadable;
}
