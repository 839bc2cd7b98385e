/*
 * libFuzzer harness: the bounded input reader (util/input.c) on arbitrary
 * bytes, as a file (a memfd). The first two bytes pick the limits (a line of
 * 1-256 bytes, 16 bytes to 16 KiB in all); every line returned must keep
 * them, hold no NUL or newline, and the lines must be the input as it is.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input_limits lim;
	struct input in;
	char path[64], why[512], *line, *whole;
	size_t len, off = 0, wlen;
	int fd, r;

	if (size < 2)
		return 0;
	lim = (struct input_limits){.max_line = 1 + data[0], .max_bytes = 16u << (data[1] % 11)};
	data += 2;
	size -= 2;
	fd = memfd_create("fuzz-input", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (input_open(&in, path, &lim, why, sizeof(why)) < 0)
		abort();
	while ((r = input_line(&in, &line, &len, why, sizeof(why))) > 0) {
		/* The line is the next bytes of the input, whole, then its newline or the end. */
		if (len > lim.max_line || strlen(line) != len || memchr(line, '\n', len) ||
		    off + len > size || memcmp(line, data + off, len) != 0)
			abort();
		off += len;
		if (off < size && data[off++] != '\n')
			abort();
		if (in.lineno == 0 || in.total > size)
			abort();
	}
	input_close(&in);
	if (r == 0 && (off != size || size > lim.max_bytes))
		abort();
	if (r < 0 && (!why[0] || strchr(why, '\n') || !input_is_bad(r)))
		abort();
	/* input_slurp() agrees: the same result, the input back with a newline after each line. */
	why[0] = '\0';
	if ((input_slurp(path, &lim, &whole, &wlen, why, sizeof(why)) == 0) != (r == 0))
		abort();
	if (r == 0) {
		if (wlen < size || memcmp(whole, data, size) != 0 || whole[wlen] != '\0')
			abort();
		free(whole);
	}
	close(fd);
	return 0;
}
