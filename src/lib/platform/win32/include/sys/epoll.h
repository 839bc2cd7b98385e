/*
 * <sys/epoll.h> on Windows: epoll over WSAPoll (platform/win32/epoll.c), for
 * sockets, level-triggered. An epoll descriptor is closed with close().
 */
#pragma once
#include <stdint.h>

#define EPOLLIN       0x001
#define EPOLLPRI      0x002
#define EPOLLOUT      0x004
#define EPOLLERR      0x008
#define EPOLLHUP      0x010
#define EPOLLRDHUP    0x2000
#define EPOLL_CLOEXEC 0x80000
#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3

typedef union epoll_data {
	void *ptr;
	int fd;
	uint32_t u32;
	uint64_t u64;
} epoll_data_t;

struct epoll_event {
	uint32_t events;
	epoll_data_t data;
};

int epoll_create1(int flags);
int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
int epoll_wait(int epfd, struct epoll_event *evs, int max, int timeout_ms);
/* Whether fd is an epoll descriptor (close() asks). */
int epoll_is(int fd);
int epoll_close(int fd);
/* close() of a socket: out of every epoll set, as on Linux. */
void epoll_forget(int fd);
