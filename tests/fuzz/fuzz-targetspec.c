/*
 * libFuzzer harness for target specs, never resolving names (TARGETSET_NO_DNS).
 * First byte: bit 0 IPv6 set, bit 1 feed the rest as an -iL file (through a
 * memfd; bit 2 as an --excludefile), else one spec per line, "!" in front for an exclusion.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "net/targetspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_set(struct targetset *ts)
{
	struct target_addr a, b;
	char buf[INET6_ADDRSTRLEN];
	uint64_t n;

	if (targetset_seal(ts) < 0)
		return;
	n = targetset_count(ts);
	if (n == 0) {
		if (targetset_get(ts, 0, &a) != -ERANGE)
			abort();
		return;
	}
	if (targetset_get(ts, 0, &a) != 0 || targetset_get(ts, n - 1, &b) != 0 ||
	    targetset_get(ts, n, &a) != -ERANGE)
		abort();
	target_addr_str(&b, buf, sizeof(buf));
	if (n > 1 && targetset_get(ts, n / 2, &a) == 0 && targetset_get(ts, n / 2 - 1, &b) == 0) {
		/* Ascending order: a > b. */
		int c = a.family == AF_INET ? (ntohl(a.v4.s_addr) > ntohl(b.v4.s_addr) ? 1 : -1)
		                            : memcmp(&a.v6, &b.v6, sizeof(a.v6));
		if (c <= 0)
			abort();
	}
}

static void feed_file(struct targetset *ts, const uint8_t *data, size_t size, bool exclude)
{
	char path[64], why[512];
	int fd = memfd_create("fuzz-targets", MFD_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		why[0] = '\0';
		if (targetset_add_file(ts, path, exclude, why, sizeof(why)) < 0 && !why[0])
			abort();
	}
	close(fd);
}

static void feed_lines(struct targetset *ts, const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *line, *save = NULL;
	char why[512];

	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int r;

		why[0] = '\0';
		if (line[0] == '!')
			r = targetset_exclude(ts, line + 1, why, sizeof(why));
		else
			r = targetset_add(ts, line, why, sizeof(why));
		if (r < 0 && (!why[0] || strchr(why, '\n')))
			abort(); /* every error has a one-line reason */
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct targetset *ts;
	unsigned flags = TARGETSET_NO_DNS;

	if (size < 1)
		return 0;
	if (data[0] & 1)
		flags |= TARGETSET_IPV6;
	ts = targetset_new(flags);
	if (!ts)
		return 0;
	if (data[0] & 2)
		feed_file(ts, data + 1, size - 1, (data[0] & 4) != 0);
	else
		feed_lines(ts, data + 1, size - 1);
	check_set(ts);
	targetset_free(ts);
	return 0;
}
