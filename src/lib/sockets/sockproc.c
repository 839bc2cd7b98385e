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

#define DENTS_BUF (32 * 1024)
#define NAME_MAX_LEN 256

struct sockproc_entry {
	uint32_t inode;
	uint32_t proc; /* index into procs */
	int32_t next;  /* next entry in the same bucket, -1 at the end */
};

struct sockproc_proc {
	pid_t pid;
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
	int procfd;       /* kept open for reading names later */
	char *procdir;
	pthread_t thread;
	bool threaded;
	int thread_rc;
	char *dents; /* DENTS_BUF bytes */
};

struct sockproc *sockproc_new(void)
{
	struct sockproc *m = calloc(1, sizeof(*m));

	if (m)
		m->procfd = -1;
	return m;
}

void sockproc_free(struct sockproc *m)
{
	if (!m)
		return;
	if (m->threaded)
		(void)sockproc_scan_wait(m);
	for (size_t i = 0; i < m->nprocs; i++)
		free(m->procs[i].name);
	free(m->procs);
	free(m->ents);
	free(m->buckets);
	free(m->procdir);
	free(m->dents);
	if (m->procfd >= 0)
		close(m->procfd);
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

char *sockproc_name_from(const char *cmdline, size_t len, const char *comm, char *out, size_t outlen)
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

static int add_entry(struct sockproc *m, uint32_t inode, uint32_t proc)
{
	if (m->nents == m->ecap) {
		size_t ncap = m->ecap ? m->ecap * 2 : 1024;
		struct sockproc_entry *e = realloc(m->ents, ncap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		m->ents = e;
		m->ecap = ncap;
	}
	m->ents[m->nents++] = (struct sockproc_entry){ .inode = inode, .proc = proc, .next = -1 };
	return 0;
}

static int add_proc(struct sockproc *m, pid_t pid, uint32_t *idx)
{
	if (m->nprocs == m->pcap) {
		size_t ncap = m->pcap ? m->pcap * 2 : 256;
		struct sockproc_proc *p = realloc(m->procs, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		m->procs = p;
		m->pcap = ncap;
	}
	m->procs[m->nprocs] = (struct sockproc_proc){ .pid = pid, .name = NULL };
	*idx = (uint32_t)m->nprocs++;
	return 0;
}

/* Records the sockets among the open files of one process. Returns 0 or -ENOMEM. */
static int scan_pid(struct sockproc *m, const char *pidname, pid_t pid)
{
	char path[32], link[64];
	bool have_proc = false;
	uint32_t proc = 0;
	int fdfd, rc = 0;

	if (snprintf(path, sizeof(path), "%s/fd", pidname) >= (int)sizeof(path))
		return 0;
	fdfd = openat(m->procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fdfd < 0) {
		if (errno == EACCES || errno == EPERM)
			m->unreadable++;
		return 0; /* ENOENT: the process is gone */
	}
	for (;;) {
		ssize_t n = getdents64(fdfd, m->dents, DENTS_BUF);

		if (n <= 0)
			break;
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(m->dents + off);
			ssize_t ln;
			uint32_t inode;

			off += d->d_reclen;
			if (d->d_name[0] == '.')
				continue;
			ln = readlinkat(fdfd, d->d_name, link, sizeof(link));
			if (ln <= 0 || sockproc_parse_link(link, (size_t)ln, &inode) < 0)
				continue;
			if (!have_proc) {
				rc = add_proc(m, pid, &proc);
				if (rc < 0)
					goto out;
				have_proc = true;
			}
			rc = add_entry(m, inode, proc);
			if (rc < 0)
				goto out;
		}
	}
out:
	close(fdfd);
	return rc;
}

static uint32_t hash_inode(uint32_t inode)
{
	return inode * 2654435761u;
}

static int build_index(struct sockproc *m)
{
	size_t nb = 16;

	while (nb < m->nents * 2)
		nb *= 2;
	m->buckets = malloc(nb * sizeof(*m->buckets));
	if (!m->buckets)
		return -ENOMEM;
	memset(m->buckets, 0xff, nb * sizeof(*m->buckets));
	m->nbuckets = nb;
	/* Backwards, so that head insertion leaves each chain in /proc order. */
	for (size_t i = m->nents; i-- > 0;) {
		uint32_t b = hash_inode(m->ents[i].inode) & (uint32_t)(nb - 1);

		m->ents[i].next = m->buckets[b];
		m->buckets[b] = (int32_t)i;
	}
	return 0;
}

int sockproc_scan(struct sockproc *m, const char *procdir)
{
	int rc = 0;

	if (m->procfd >= 0 || m->nbuckets)
		return -EBUSY;
	m->dents = malloc(DENTS_BUF);
	if (!m->dents)
		return -ENOMEM;
	m->procfd = open(procdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->procfd < 0)
		return -errno;
	for (;;) {
		/* A buffer of its own: scan_pid() reuses m->dents. */
		char top[8192];
		ssize_t n = getdents64(m->procfd, top, sizeof(top));

		if (n < 0) {
			rc = -errno;
			break;
		}
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
			rc = scan_pid(m, d->d_name, (pid_t)pid);
			if (rc < 0)
				goto out;
		}
	}
out:
	free(m->dents);
	m->dents = NULL;
	if (rc == 0)
		rc = build_index(m);
	return rc;
}

static void *scan_thread(void *arg)
{
	struct sockproc *m = arg;

	m->thread_rc = sockproc_scan(m, m->procdir);
	return NULL;
}

int sockproc_scan_start(struct sockproc *m, const char *procdir)
{
	int rc;

	if (m->threaded)
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
	if (!m->threaded)
		return -EINVAL;
	pthread_join(m->thread, NULL);
	m->threaded = false;
	return m->thread_rc;
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
