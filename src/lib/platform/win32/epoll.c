/*
 * epoll over WSAPoll (see include/sys/epoll.h): each epoll descriptor is a
 * table of (socket, events, data); epoll_wait() hands the table to WSAPoll
 * and maps the answers back. Level-triggered, as the engines use epoll.
 * A ready set larger than max is served round-robin across calls.
 */
#include <winsock2.h>
#include <windows.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sys/epoll.h>

#define EP_BASE 0x70000000 /* epoll descriptors: far above CRT descriptors and socket handles */
#define EP_MAX  256

struct ep_entry {
	SOCKET s;
	uint32_t events;
	epoll_data_t data;
};

struct ep {
	struct ep_entry *v;
	WSAPOLLFD *pfd;
	size_t n, cap;
	size_t next;  /* first entry to report next time */
	SRWLOCK lock; /* v, n, cap: epoll_ctl, epoll_wait and a close() elsewhere */
};

static struct ep *eps[EP_MAX];
static SRWLOCK eps_lock = SRWLOCK_INIT;

static struct ep *ep_get(int epfd)
{
	struct ep *e = NULL;

	if (epfd < EP_BASE || epfd >= EP_BASE + EP_MAX)
		return NULL;
	AcquireSRWLockShared(&eps_lock);
	e = eps[epfd - EP_BASE];
	ReleaseSRWLockShared(&eps_lock);
	return e;
}

int epoll_is(int fd)
{
	return ep_get(fd) != NULL;
}

int epoll_create1(int flags)
{
	struct ep *e = calloc(1, sizeof(*e));
	int fd = -1;

	(void)flags;
	if (!e) {
		errno = ENOMEM;
		return -1;
	}
	InitializeSRWLock(&e->lock);
	AcquireSRWLockExclusive(&eps_lock);
	for (int i = 0; i < EP_MAX && fd < 0; i++)
		if (!eps[i]) {
			eps[i] = e;
			fd = EP_BASE + i;
		}
	ReleaseSRWLockExclusive(&eps_lock);
	if (fd < 0) {
		free(e);
		errno = EMFILE;
	}
	return fd;
}

static ssize_t ep_find(const struct ep *e, SOCKET s)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->v[i].s == s)
			return (ssize_t)i;
	return -1;
}

/*
 * close() of a socket takes it out of every epoll set, as Linux does when
 * the last descriptor of a file closes: the engines close probes without
 * EPOLL_CTL_DEL, and Winsock reuses a handle value at once (a stale entry
 * made the next socket's EPOLL_CTL_ADD fail with EEXIST, and WSAPoll saw a
 * closed handle).
 */
void epoll_forget(int fd)
{
	SOCKET s = (SOCKET)(uintptr_t)(unsigned)fd;

	AcquireSRWLockShared(&eps_lock);
	for (int k = 0; k < EP_MAX; k++) {
		struct ep *e = eps[k];
		ssize_t i;

		if (!e)
			continue;
		AcquireSRWLockExclusive(&e->lock);
		i = ep_find(e, s);
		if (i >= 0)
			e->v[i] = e->v[--e->n];
		ReleaseSRWLockExclusive(&e->lock);
	}
	ReleaseSRWLockShared(&eps_lock);
}

int epoll_close(int fd)
{
	struct ep *e = ep_get(fd);

	if (!e) {
		errno = EBADF;
		return -1;
	}
	AcquireSRWLockExclusive(&eps_lock);
	eps[fd - EP_BASE] = NULL;
	ReleaseSRWLockExclusive(&eps_lock);
	free(e->v);
	free(e->pfd);
	free(e);
	return 0;
}

static int ep_ctl(struct ep *e, int op, SOCKET s, struct epoll_event *ev)
{
	ssize_t i = ep_find(e, s);

	switch (op) {
	case EPOLL_CTL_ADD:
		if (i >= 0) {
			errno = EEXIST;
			return -1;
		}
		if (e->n == e->cap) {
			size_t cap = e->cap ? e->cap * 2 : 64;
			struct ep_entry *v = realloc(e->v, cap * sizeof(*v));
			WSAPOLLFD *p;

			if (!v) {
				errno = ENOMEM;
				return -1;
			}
			e->v = v;
			p = realloc(e->pfd, cap * sizeof(*p));
			if (!p) {
				errno = ENOMEM;
				return -1;
			}
			e->pfd = p;
			e->cap = cap;
		}
		e->v[e->n++] = (struct ep_entry){.s = s, .events = ev->events, .data = ev->data};
		return 0;
	case EPOLL_CTL_MOD:
		if (i < 0) {
			errno = ENOENT;
			return -1;
		}
		e->v[i].events = ev->events;
		e->v[i].data = ev->data;
		return 0;
	case EPOLL_CTL_DEL:
		if (i < 0) {
			errno = ENOENT;
			return -1;
		}
		e->v[i] = e->v[--e->n];
		return 0;
	default:
		errno = EINVAL;
		return -1;
	}
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct ep *e = ep_get(epfd);
	int r;

	if (!e) {
		errno = EBADF;
		return -1;
	}
	AcquireSRWLockExclusive(&e->lock);
	r = ep_ctl(e, op, (SOCKET)(uintptr_t)(unsigned)fd, ev);
	ReleaseSRWLockExclusive(&e->lock);
	return r;
}

static uint32_t ep_events(short revents, uint32_t wanted)
{
	uint32_t ev = 0;

	if (revents & (POLLRDNORM | POLLRDBAND))
		ev |= EPOLLIN;
	if (revents & POLLWRNORM)
		ev |= EPOLLOUT;
	if (revents & (POLLERR | POLLNVAL))
		ev |= EPOLLERR;
	if (revents & POLLHUP)
		ev |= EPOLLHUP | (wanted & EPOLLRDHUP);
	return ev;
}

int epoll_wait(int epfd, struct epoll_event *evs, int max, int timeout_ms)
{
	struct ep *e = ep_get(epfd);
	int r, out = 0;
	size_t n;

	if (!e || max <= 0) {
		errno = e ? EINVAL : EBADF;
		return -1;
	}
	AcquireSRWLockExclusive(&e->lock);
	n = e->n;
	for (size_t i = 0; i < n; i++) {
		short want = 0;

		if (e->v[i].events & EPOLLIN)
			want |= POLLRDNORM;
		if (e->v[i].events & EPOLLOUT)
			want |= POLLWRNORM;
		e->pfd[i] = (WSAPOLLFD){.fd = e->v[i].s, .events = want};
	}
	ReleaseSRWLockExclusive(&e->lock);
	if (n == 0) { /* WSAPoll refuses an empty set */
		if (timeout_ms != 0)
			Sleep(timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
		return 0;
	}
	/* The set's own thread waits here; it alone adds, and closes its sockets. */
	r = WSAPoll(e->pfd, (ULONG)n, timeout_ms);
	if (r == SOCKET_ERROR) {
		errno = WSAGetLastError() == WSAENOBUFS ? ENOMEM : EINVAL;
		return -1;
	}
	AcquireSRWLockExclusive(&e->lock);
	n = n < e->n ? n : e->n; /* a socket closed meanwhile on another thread */
	if (e->next >= n)
		e->next = 0;
	for (size_t k = 0; k < n && out < max; k++) {
		size_t i = (e->next + k) % n;
		uint32_t ev = ep_events(e->pfd[i].revents, e->v[i].events);

		if (!ev)
			continue;
		evs[out].events = ev;
		evs[out].data = e->v[i].data;
		out++;
		e->next = i + 1;
	}
	ReleaseSRWLockExclusive(&e->lock);
	return out;
}
