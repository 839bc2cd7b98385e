#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "knowledge/sysctl.h"
#include "util/strnum.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* Parses up to max decimal numbers 0..65535 separated by blanks; returns how many or -errno. */
static int parse_numbers(const char *buf, size_t len, uint16_t *v, int max, char *why,
                         size_t whylen)
{
	size_t i = 0;
	int n = 0;

	while (i < len) {
		size_t start;
		uint64_t x;
		int rc;

		while (i < len && is_blank(buf[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !is_blank(buf[i]))
			i++;
		if (n == max) {
			if (why && whylen)
				snprintf(why, whylen, "unexpected '%.*s' after %d number%s",
				         (int)(i - start > 32 ? 32 : i - start), buf + start, max,
				         max == 1 ? "" : "s");
			return -EINVAL;
		}
		rc = strnum_u64n(buf + start, i - start, 0, 65535, &x);
		if (rc < 0) {
			if (why && whylen)
				snprintf(why, whylen, "%s '%.*s'",
				         rc == -ERANGE ? "port out of range 0-65535:"
				                       : "not a number:",
				         (int)(i - start > 32 ? 32 : i - start), buf + start);
			return rc;
		}
		v[n++] = (uint16_t)x;
	}
	return n;
}

int kb_sysctl_parse_range(const char *buf, size_t len, uint16_t *lo, uint16_t *hi, char *why,
                          size_t whylen)
{
	uint16_t v[2];
	int n;

	if (!buf || !lo || !hi)
		return -EINVAL;
	n = parse_numbers(buf, len, v, 2, why, whylen);
	if (n < 0)
		return n;
	if (n != 2) {
		if (why && whylen)
			snprintf(why, whylen, "expected two numbers, found %d", n);
		return -EINVAL;
	}
	if (v[0] > v[1]) {
		if (why && whylen)
			snprintf(why, whylen, "low end %u above high end %u", v[0], v[1]);
		return -ERANGE;
	}
	*lo = v[0];
	*hi = v[1];
	return 0;
}

int kb_sysctl_parse_port(const char *buf, size_t len, uint16_t *port, char *why, size_t whylen)
{
	uint16_t v;
	int n;

	if (!buf || !port)
		return -EINVAL;
	n = parse_numbers(buf, len, &v, 1, why, whylen);
	if (n < 0)
		return n;
	if (n != 1) {
		if (why && whylen)
			snprintf(why, whylen, "expected a number, found nothing");
		return -EINVAL;
	}
	*port = v;
	return 0;
}

/* Reads a small file into buf (NUL-terminated); returns its length or -errno with why. */
static ssize_t read_small(const char *path, char *buf, size_t size, char *why, size_t whylen)
{
	size_t len = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		if (why && whylen)
			snprintf(why, whylen, "cannot open %s: %s", path, strerror(err));
		return -err;
	}
	while (len < size - 1) {
		ssize_t r = read(fd, buf + len, size - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = errno;
			close(fd);
			if (why && whylen)
				snprintf(why, whylen, "cannot read %s: %s", path, strerror(err));
			return -err;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (len == size - 1) {
		if (why && whylen)
			snprintf(why, whylen, "%s: longer than expected", path);
		return -EINVAL;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

/* Prefixes why with the path: "PATH: reason". */
static void name_file(const char *path, char *why, size_t whylen)
{
	char tmp[256];

	if (!why || !whylen)
		return;
	snprintf(tmp, sizeof(tmp), "%s", why);
	snprintf(why, whylen, "%s: %s", path, tmp);
}

int kb_sysctl_port_range(const char *path, uint16_t *lo, uint16_t *hi, char *why, size_t whylen)
{
	char buf[128];
	ssize_t len;
	int rc;

	if (!path)
		path = KB_SYSCTL_PORT_RANGE;
	len = read_small(path, buf, sizeof(buf), why, whylen);
	if (len < 0)
		return (int)len;
	rc = kb_sysctl_parse_range(buf, (size_t)len, lo, hi, why, whylen);
	if (rc < 0)
		name_file(path, why, whylen);
	return rc;
}

int kb_sysctl_unpriv_start(const char *path, uint16_t *start, char *why, size_t whylen)
{
	char buf[64];
	ssize_t len;
	int rc;

	if (!path)
		path = KB_SYSCTL_UNPRIV_START;
	len = read_small(path, buf, sizeof(buf), why, whylen);
	if (len < 0)
		return (int)len;
	rc = kb_sysctl_parse_port(buf, (size_t)len, start, why, whylen);
	if (rc < 0)
		name_file(path, why, whylen);
	return rc;
}
