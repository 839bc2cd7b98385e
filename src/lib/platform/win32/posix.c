/* POSIX calls over Winsock and the Windows CRT (see posix.h). */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <bcrypt.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <poll.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>

/* This file makes the real calls. */
#undef socket
#undef connect
#undef bind
#undef listen
#undef accept
#undef getsockopt
#undef setsockopt
#undef getsockname
#undef getpeername
#undef send
#undef recv
#undef sendto
#undef recvfrom
#undef shutdown
#undef close
#undef mkdir
#undef fclose
#undef fcntl
#undef poll
#undef open
#undef fopen
#undef kill

int posix_errno_of_wsa(int wsa)
{
	switch (wsa) {
	case 0:
		return 0;
	case WSAEWOULDBLOCK:
		return EAGAIN;
	case WSAEINPROGRESS:
		return EINPROGRESS;
	case WSAEALREADY:
		return EALREADY;
	case WSAENOTSOCK:
		return ENOTSOCK;
	case WSAEMSGSIZE:
		return EMSGSIZE;
	case WSAEPROTONOSUPPORT:
	case WSAESOCKTNOSUPPORT:
		return EPROTONOSUPPORT;
	case WSAEOPNOTSUPP:
		return EOPNOTSUPP;
	case WSAEAFNOSUPPORT:
	case WSAEPFNOSUPPORT:
		return EAFNOSUPPORT;
	case WSAEADDRINUSE:
		return EADDRINUSE;
	case WSAEADDRNOTAVAIL:
		return EADDRNOTAVAIL;
	case WSAENETDOWN:
		return ENETDOWN;
	case WSAENETUNREACH:
		return ENETUNREACH;
	case WSAENETRESET:
		return ENETRESET;
	case WSAECONNABORTED:
		return ECONNABORTED;
	case WSAECONNRESET:
		return ECONNRESET;
	case WSAENOBUFS:
		return ENOBUFS;
	case WSAEISCONN:
		return EISCONN;
	case WSAENOTCONN:
		return ENOTCONN;
	case WSAESHUTDOWN:
		return EPIPE;
	case WSAETIMEDOUT:
		return ETIMEDOUT;
	case WSAECONNREFUSED:
		return ECONNREFUSED;
	case WSAEHOSTDOWN:
		return EHOSTDOWN;
	case WSAEHOSTUNREACH:
		return EHOSTUNREACH;
	case WSAEMFILE:
		return EMFILE;
	case WSAEACCES:
		return EACCES;
	case WSAEINVAL:
		return EINVAL;
	case WSAEFAULT:
		return EFAULT;
	case WSAEINTR:
		return EINTR;
	case WSAEBADF:
	case WSANOTINITIALISED:
		return EBADF;
	default:
		return EIO;
	}
}

static int wsa_fail(void)
{
	errno = posix_errno_of_wsa(WSAGetLastError());
	return -1;
}

static SOCKET sock(int fd)
{
	return (SOCKET)(uintptr_t)(unsigned)fd;
}

int posix_is_socket(int fd)
{
	int type, len = sizeof(type);

	if (fd < 0 || epoll_is(fd))
		return 0;
	return getsockopt(sock(fd), SOL_SOCKET, SO_TYPE, (char *)&type, &len) == 0;
}

int posix_socket(int domain, int type, int protocol)
{
	int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
	SOCKET s = WSASocketW(domain, type & ~flags, protocol, NULL, 0, WSA_FLAG_NO_HANDLE_INHERIT);
	u_long on = 1;

	if (s == INVALID_SOCKET)
		return wsa_fail();
	if (s > INT_MAX) { /* handles are small; an int that cannot hold one is not a socket */
		closesocket(s);
		errno = EMFILE;
		return -1;
	}
	if ((flags & SOCK_NONBLOCK) && ioctlsocket(s, FIONBIO, &on) != 0) {
		int e = WSAGetLastError();

		closesocket(s);
		errno = posix_errno_of_wsa(e);
		return -1;
	}
	return (int)s;
}

int posix_connect(int fd, const struct sockaddr *sa, int len)
{
	if (connect(sock(fd), sa, len) == 0)
		return 0;
	/* A non-blocking connect under way: POSIX says EINPROGRESS. */
	int wsa = WSAGetLastError();

	if (wsa == WSAEWOULDBLOCK) {
		errno = EINPROGRESS;
		return -1;
	}
	/*
	 * connect() again on a socket whose attempt has failed (the engines ask
	 * that way, as on Linux): Winsock (and Wine) answer "aborted" or "invalid"
	 * instead of the attempt's own error; SO_ERROR still holds it, and a
	 * loopback attempt that ended before it was established was refused.
	 */
	if (wsa == WSAECONNABORTED || wsa == WSAEINVAL) {
		int err = 0, elen = sizeof(err);

		if (getsockopt(sock(fd), SOL_SOCKET, SO_ERROR, (char *)&err, &elen) == 0 && err)
			wsa = err;
		else if (wsa == WSAECONNABORTED)
			wsa = WSAECONNREFUSED;
		errno = posix_errno_of_wsa(wsa);
		return -1;
	}
	return wsa_fail();
}

int posix_bind(int fd, const struct sockaddr *sa, int len)
{
	return bind(sock(fd), sa, len) == 0 ? 0 : wsa_fail();
}

int posix_listen(int fd, int backlog)
{
	return listen(sock(fd), backlog) == 0 ? 0 : wsa_fail();
}

int posix_accept(int fd, struct sockaddr *sa, int *len)
{
	SOCKET s = accept(sock(fd), sa, len);

	return s == INVALID_SOCKET ? wsa_fail() : (int)s;
}

int posix_getsockopt(int fd, int level, int name, void *val, int *len)
{
	if (getsockopt(sock(fd), level, name, val, len) != 0)
		return wsa_fail();
	/* SO_ERROR holds a Winsock code: callers compare it with errno values. */
	if (level == SOL_SOCKET && name == SO_ERROR && *len >= (int)sizeof(int))
		*(int *)val = posix_errno_of_wsa(*(int *)val);
	return 0;
}

int posix_setsockopt(int fd, int level, int name, const void *val, int len)
{
	return setsockopt(sock(fd), level, name, val, len) == 0 ? 0 : wsa_fail();
}

int posix_getsockname(int fd, struct sockaddr *sa, int *len)
{
	return getsockname(sock(fd), sa, len) == 0 ? 0 : wsa_fail();
}

int posix_getpeername(int fd, struct sockaddr *sa, int *len)
{
	return getpeername(sock(fd), sa, len) == 0 ? 0 : wsa_fail();
}

static int clamp(size_t len)
{
	return len > INT_MAX ? INT_MAX : (int)len;
}

ssize_t posix_send(int fd, const void *buf, size_t len, int flags)
{
	int n = send(sock(fd), buf, clamp(len), flags);

	return n == SOCKET_ERROR ? wsa_fail() : n;
}

ssize_t posix_recv(int fd, void *buf, size_t len, int flags)
{
	int n = recv(sock(fd), buf, clamp(len), flags);

	return n == SOCKET_ERROR ? wsa_fail() : n;
}

ssize_t posix_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *sa,
                     int salen)
{
	int n = sendto(sock(fd), buf, clamp(len), flags, sa, salen);

	return n == SOCKET_ERROR ? wsa_fail() : n;
}

ssize_t posix_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *sa, int *salen)
{
	int n = recvfrom(sock(fd), buf, clamp(len), flags, sa, salen);

	return n == SOCKET_ERROR ? wsa_fail() : n;
}

int posix_shutdown(int fd, int how)
{
	return shutdown(sock(fd), how) == 0 ? 0 : wsa_fail();
}

int posix_close(int fd)
{
	if (epoll_is(fd))
		return epoll_close(fd);
	if (posix_is_socket(fd)) {
		epoll_forget(fd);
		return closesocket(sock(fd)) == 0 ? 0 : wsa_fail();
	}
	return _close(fd);
}

/* F_GETFL/F_SETFL(O_NONBLOCK) on sockets; descriptors of files have no flags to change. */
int posix_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	int arg = 0;

	va_start(ap, cmd);
	if (cmd == F_SETFL || cmd == F_SETFD)
		arg = va_arg(ap, int);
	va_end(ap);
	if (cmd == F_GETFL || cmd == F_GETFD)
		return 0;
	if (cmd == F_SETFD)
		return 0; /* sockets are made without inheritance; CRT files are not inherited */
	if (cmd == F_SETFL) {
		u_long on = (arg & O_NONBLOCK) != 0;

		if (!posix_is_socket(fd))
			return 0;
		return ioctlsocket(sock(fd), FIONBIO, &on) == 0 ? 0 : wsa_fail();
	}
	errno = EINVAL;
	return -1;
}

/*
 * poll(): sockets through WSAPoll. Anything else (a pipe or file on stdin) is
 * reported readable at once: a read then blocks until data or EOF, which is
 * what a reader of a file or pipe needs, without the idle timeout.
 */
int posix_poll(struct pollfd *fds, unsigned long n, int timeout_ms)
{
	unsigned long others = 0;

	for (unsigned long i = 0; i < n; i++) {
		fds[i].revents = 0;
		if (fds[i].fd != INVALID_SOCKET && !posix_is_socket((int)fds[i].fd)) {
			fds[i].revents =
			    fds[i].events & (POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
			others++;
		}
	}
	if (others)
		return (int)others;
	int r = WSAPoll(fds, n, timeout_ms);

	return r == SOCKET_ERROR ? wsa_fail() : r;
}

/* UTF-8 → UTF-16 for a path; NULL with errno set. */
static wchar_t *wide(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
	wchar_t *w;

	if (n <= 0) {
		errno = EINVAL;
		return NULL;
	}
	w = malloc((size_t)n * sizeof(*w));
	if (!w) {
		errno = ENOMEM;
		return NULL;
	}
	MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n);
	return w;
}

int posix_open(const char *path, int flags, ...)
{
	va_list ap;
	int mode = 0, fd;
	wchar_t *w = wide(path);

	va_start(ap, flags);
	if (flags & O_CREAT)
		mode = va_arg(ap, int);
	va_end(ap);
	if (!w)
		return -1;
	fd = _wopen(w, (flags & ~O_NONBLOCK) | O_BINARY, mode & (_S_IREAD | _S_IWRITE));
	free(w);
	return fd;
}

void *posix_fopen(const char *path, const char *mode)
{
	wchar_t *w = wide(path), *m = wide(mode);
	FILE *f = NULL;

	if (w && m)
		f = _wfopen(w, m);
	free(w);
	free(m);
	return f;
}

/* kill(pid, 0): whether the process lives. No other signal is sent on Windows. */
int posix_kill(pid_t pid, int sig)
{
	HANDLE h;
	DWORD code = 0;

	if (sig != 0) {
		errno = EINVAL;
		return -1;
	}
	h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)pid);
	if (!h) {
		errno = GetLastError() == ERROR_ACCESS_DENIED ? EPERM : ESRCH;
		return -1;
	}
	GetExitCodeProcess(h, &code);
	CloseHandle(h);
	if (code != STILL_ACTIVE) {
		errno = ESRCH;
		return -1;
	}
	return 0;
}

int posix_mkdir(const char *path, int mode)
{
	wchar_t *w;
	int rc;

	(void)mode; /* the directory inherits the parent's ACL */
	if (((path[0] >= 'A' && path[0] <= 'Z') || (path[0] >= 'a' && path[0] <= 'z')) &&
	    path[1] == ':' && path[2] == '\0') {
		errno = EEXIST; /* a drive: mkdir -p walks through it */
		return -1;
	}
	w = wide(path);
	if (!w)
		return -1;
	rc = _wmkdir(w);
	free(w);
	return rc;
}

int posix_stat64(const char *path, struct _stat64 *sb)
{
	wchar_t *w = wide(path);
	int rc;

	if (!w)
		return -1;
	rc = _wstat64(w, sb);
	free(w);
	return rc;
}

int posix_unlink(const char *path)
{
	wchar_t *w = wide(path);
	int rc;

	if (!w)
		return -1;
	rc = _wunlink(w);
	free(w);
	return rc;
}

ssize_t getrandom(void *buf, size_t len, unsigned flags)
{
	(void)flags;
	if (len > ULONG_MAX)
		len = ULONG_MAX;
	if (!BCRYPT_SUCCESS(
	        BCryptGenRandom(NULL, buf, (ULONG)len, BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
		errno = EIO;
		return -1;
	}
	return (ssize_t)len;
}

/*
 * Windows has no descriptor limit for sockets, but WSAPoll walks every socket
 * it is given: the engines size their concurrency from this figure.
 */
#define WIN_NOFILE 4096

int getrlimit(int resource, struct rlimit *rl)
{
	if (resource != RLIMIT_NOFILE) {
		errno = EINVAL;
		return -1;
	}
	rl->rlim_cur = rl->rlim_max = WIN_NOFILE;
	return 0;
}

int setrlimit(int resource, const struct rlimit *rl)
{
	if (resource != RLIMIT_NOFILE || rl->rlim_cur > WIN_NOFILE) {
		errno = EPERM;
		return -1;
	}
	return 0;
}
