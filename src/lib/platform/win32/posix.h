/*
 * The POSIX calls the portable engines make, on Winsock and the Windows CRT
 * (the Windows half of the platform layer, see platform/platform.h). The
 * Windows build force-includes this header into every file (-include), and
 * the headers under include/ stand for the POSIX ones mingw-w64 lacks
 * (<sys/socket.h>, <netinet/in.h>, <poll.h>, <sys/epoll.h>, ...), so that
 * the scan and detection engines are the same source on both systems.
 *
 * Sockets stay ints (a SOCKET handle fits), calls set errno from
 * WSAGetLastError() (WSAEWOULDBLOCK on connect() becomes EINPROGRESS), and
 * SO_ERROR reads as an errno value. close() closes sockets and files alike.
 * epoll is emulated over WSAPoll (level-triggered, sockets only). Paths are
 * UTF-8 and opened as UTF-16. open_memstream() and fmemopen() are temporary
 * files (fclose() hands the memstream its bytes).
 */
#pragma once
#if defined(_WIN32) && !defined(PORTSCOPE_NO_POSIX_SHIM)

/* Everything that declares the calls below comes first: the macros rename calls only. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <direct.h>
#include <fcntl.h>
#include <io.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* POSIX socket flags that Winsock lacks; posix_socket() honours them. */
#define SOCK_NONBLOCK 0x0800
#define SOCK_CLOEXEC  0x80000
#define MSG_NOSIGNAL  0
#define F_GETFL       3
#define F_SETFL       4
#define F_GETFD       1
#define F_SETFD       2
#define FD_CLOEXEC    1
#ifndef O_NONBLOCK
#define O_NONBLOCK 0x4000
#endif
#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif
#ifndef O_NOFOLLOW
#define O_NOFOLLOW 0
#endif
#ifndef O_NOCTTY
#define O_NOCTTY 0
#endif
#ifndef ESHUTDOWN
#define ESHUTDOWN 150
#endif
#ifndef EHOSTDOWN
#define EHOSTDOWN 151
#endif
#ifndef SIGKILL
#define SIGKILL 9
#endif
#ifndef SIGHUP
#define SIGHUP 1
#endif
#ifndef SIGPIPE
#define SIGPIPE 13
#endif

struct sockaddr;
struct pollfd;
struct timespec;

int posix_socket(int domain, int type, int protocol);
int posix_connect(int fd, const struct sockaddr *sa, int len);
int posix_bind(int fd, const struct sockaddr *sa, int len);
int posix_listen(int fd, int backlog);
int posix_accept(int fd, struct sockaddr *sa, int *len);
int posix_getsockopt(int fd, int level, int name, void *val, int *len);
int posix_setsockopt(int fd, int level, int name, const void *val, int len);
int posix_getsockname(int fd, struct sockaddr *sa, int *len);
int posix_getpeername(int fd, struct sockaddr *sa, int *len);
ssize_t posix_send(int fd, const void *buf, size_t len, int flags);
ssize_t posix_recv(int fd, void *buf, size_t len, int flags);
ssize_t posix_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *sa,
                     int salen);
ssize_t posix_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *sa, int *salen);
int posix_shutdown(int fd, int how);
int posix_close(int fd);
int posix_fcntl(int fd, int cmd, ...);
int posix_poll(struct pollfd *fds, unsigned long n, int timeout_ms);
int posix_open(const char *path, int flags, ...);
void *posix_fopen(const char *path, const char *mode);
int posix_kill(pid_t pid, int sig);
int posix_mkdir(const char *path, int mode);
/* stat() and unlink() of a UTF-8 path (the CRT's narrow calls take the ANSI code page). */
int posix_stat64(const char *path, struct _stat64 *sb);
int posix_unlink(const char *path);

/* GNU and POSIX functions the CRT lacks (win32/gnu.c). */
FILE *open_memstream(char **bufp, size_t *sizep);
FILE *fmemopen(void *buf, size_t size, const char *mode);
int posix_fclose(FILE *f);
void *memmem(const void *hay, size_t hlen, const void *needle, size_t nlen);
char *strcasestr(const char *hay, const char *needle);
char *strndup(const char *s, size_t n);
int setenv(const char *name, const char *value, int overwrite);
char *mkdtemp(char *tmpl);
int get_nprocs(void);
/* glibc's qsort_r (the comparison's context last), over the CRT's qsort_s. */
void qsort_r(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *, void *),
             void *arg);
int posix_is_socket(int fd);
/* The errno value of a Winsock error code. */
int posix_errno_of_wsa(int wsa);

#define socket(d, t, p)             posix_socket(d, t, p)
#define connect(f, a, l)            posix_connect(f, a, l)
#define bind(f, a, l)               posix_bind(f, a, l)
#define listen(f, b)                posix_listen(f, b)
#define accept(f, a, l)             posix_accept(f, a, l)
#define getsockopt(f, l, n, v, s)   posix_getsockopt(f, l, n, v, s)
#define setsockopt(f, l, n, v, s)   posix_setsockopt(f, l, n, v, (int)(s))
#define getsockname(f, a, l)        posix_getsockname(f, a, l)
#define getpeername(f, a, l)        posix_getpeername(f, a, l)
#define send(f, b, l, x)            posix_send(f, b, l, x)
#define recv(f, b, l, x)            posix_recv(f, b, l, x)
#define sendto(f, b, l, x, a, al)   posix_sendto(f, b, l, x, a, al)
#define recvfrom(f, b, l, x, a, al) posix_recvfrom(f, b, l, x, a, al)
#define shutdown(f, h)              posix_shutdown(f, h)
#define close(f)                    posix_close(f)
#define fcntl(...)                  posix_fcntl(__VA_ARGS__)
#define poll(f, n, t)               posix_poll(f, n, t)
#define open(...)                   posix_open(__VA_ARGS__)
#define fopen(p, m)                 ((FILE *)posix_fopen(p, m))
#define kill(p, s)                  posix_kill(p, s)
#define mkdir(p, m)                 posix_mkdir(p, m)
#define _stat64(p, b)               posix_stat64(p, b) /* stat(), through sys/stat.h's define */
#define unlink(p)                   posix_unlink(p)
#define fclose(f)                   posix_fclose(f)
#define fwrite_unlocked             fwrite
#define fputs_unlocked              fputs
#define fputc_unlocked              fputc
#define putc_unlocked               putc

#endif /* _WIN32 */
