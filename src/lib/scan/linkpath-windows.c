/*
 * linkpath.h on Windows: no netlink, so only the two questions the connect
 * scan asks, answered by the socket layer: the source address towards a
 * destination (a connected UDP socket's name; no packet is sent) and whether
 * an address is this machine's (it can be bound).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "scan/linkpath.h"

static socklen_t to_sockaddr(const struct target_addr *a, uint16_t port,
                             struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		s->sin_addr = a->v4;
		return sizeof(*s);
	}
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

	s->sin6_family = AF_INET6;
	s->sin6_port = htons(port);
	s->sin6_addr = a->v6;
	return sizeof(*s);
}

int linkpath_source(const struct target_addr *dst, struct target_addr *self)
{
	struct sockaddr_storage ss;
	socklen_t len = to_sockaddr(dst, 9, &ss);
	int fd = socket(dst->family, SOCK_DGRAM, 0), rc = 0;

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		rc = errno == ENETUNREACH || errno == EHOSTUNREACH ? -ENETUNREACH : -errno;
	} else {
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
			rc = -errno;
		} else {
			memset(self, 0, sizeof(*self));
			self->family = dst->family;
			if (dst->family == AF_INET)
				self->v4 = ((struct sockaddr_in *)&ss)->sin_addr;
			else
				self->v6 = ((struct sockaddr_in6 *)&ss)->sin6_addr;
		}
	}
	close(fd);
	return rc;
}

int linkpath_local(const struct target_addr *a)
{
	struct sockaddr_storage ss;
	socklen_t len = to_sockaddr(a, 0, &ss);
	int fd = socket(a->family, SOCK_DGRAM, 0), rc = 0;

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		rc = errno == EADDRNOTAVAIL ? -EADDRNOTAVAIL : -errno;
	close(fd);
	return rc;
}
