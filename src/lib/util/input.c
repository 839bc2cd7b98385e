/* Bounded input (see input.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/array.h"
#include "util/input.h"
#include "util/why.h"

#define INPUT_CHUNK 65536 /* bytes asked of one read */

/* The errno of a failed call, as a negative number (EIO if errno was 0). */
static int input_errno(void)
{
	return errno ? -errno : -EIO;
}

int input_open(struct input *in, const char *path, const struct input_limits *lim, char *why,
               size_t whylen)
{
	bool is_stdin = strcmp(path, "-") == 0;
	struct stat sb;

	*in = (struct input){.name = is_stdin ? "<stdin>" : path, .fd = 0};
	in->lim = lim ? *lim : (struct input_limits){0};
	if (!in->lim.max_bytes)
		in->lim.max_bytes = INPUT_MAX_BYTES;
	if (!in->lim.max_line)
		in->lim.max_line = INPUT_MAX_LINE;
	if (!in->lim.idle_ms)
		in->lim.idle_ms = INPUT_IDLE_MS;
	if (!is_stdin) {
		/* Without O_NONBLOCK, opening a FIFO waits for a writer, maybe forever. */
		in->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (in->fd < 0) {
			int r = input_errno();

			return why_err(why, whylen, r, "cannot open '%s': %s", path, strerror(-r));
		}
		in->own_fd = true;
	}
	if (fstat(in->fd, &sb) < 0) {
		int r = input_errno();

		input_close(in);
		return why_err(why, whylen, r, "cannot read '%s': %s", in->name, strerror(-r));
	}
	if (S_ISDIR(sb.st_mode)) {
		input_close(in);
		return why_err(why, whylen, -EISDIR, "'%s' is a directory, not a file", path);
	}
	/* Files never block; a terminal is someone typing; anything else may never end. */
	in->wait = !S_ISREG(sb.st_mode) && !isatty(in->fd);
	if (in->own_fd && !in->wait)
		fcntl(in->fd, F_SETFL, fcntl(in->fd, F_GETFL) & ~O_NONBLOCK);
	in->cap = in->lim.max_line + 2 + INPUT_CHUNK;
	in->buf = malloc(in->cap);
	if (!in->buf) {
		input_close(in);
		return -ENOMEM;
	}
	return 0;
}

void input_close(struct input *in)
{
	if (in->own_fd && in->fd >= 0)
		close(in->fd);
	in->fd = -1;
	in->own_fd = false;
	free(in->buf);
	in->buf = NULL;
}

/* Waits for data at most idle_ms. Returns 0 when a read will not block, or -ETIMEDOUT. */
static int input_wait(struct input *in)
{
	struct pollfd pfd = {.fd = in->fd, .events = POLLIN};

	for (;;) {
		int n = poll(&pfd, 1, (int)in->lim.idle_ms);

		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return input_errno();
	}
}

/*
 * Moves the unread bytes to the front and reads once behind them, keeping a
 * byte spare for the terminating NUL. Returns the bytes read, 0 at the end,
 * or a negative errno.
 */
static ssize_t input_fill(struct input *in)
{
	size_t room;

	if (in->start) {
		memmove(in->buf, in->buf + in->start, in->end - in->start);
		in->end -= in->start;
		in->start = 0;
	}
	room = in->cap - 1 - in->end;
	for (;;) {
		ssize_t n;

		if (in->wait) {
			int r = input_wait(in);

			if (r < 0)
				return r;
		}
		n = read(in->fd, in->buf + in->end, room);
		if (n >= 0) {
			in->end += (size_t)n;
			in->total += (size_t)n;
			return n;
		}
		if (errno == EINTR || (errno == EAGAIN && in->wait))
			continue;
		return input_errno();
	}
}

/* The error for line text[0, len) (not yet counted in lineno), if it has a NUL byte. */
static int input_check_nul(const struct input *in, const char *text, size_t len, char *why,
                           size_t whylen)
{
	if (!memchr(text, '\0', len))
		return 0;
	return why_err(why, whylen, -EINVAL, "%s:%lu: a NUL byte: binary data, not text", in->name,
	               in->lineno + 1);
}

int input_line(struct input *in, char **line, size_t *len, char *why, size_t whylen)
{
	for (;;) {
		char *text = in->buf + in->start;
		size_t pending = in->end - in->start;
		char *nl = memchr(text, '\n', pending);
		size_t n = nl ? (size_t)(nl - text) : pending;
		ssize_t got;
		int r;

		if (n > in->lim.max_line) {
			r = input_check_nul(in, text, in->lim.max_line + 1, why, whylen);
			if (r < 0)
				return r;
			return why_err(why, whylen, -EINVAL,
			               "%s:%lu: line too long (more than %zu bytes)", in->name,
			               in->lineno + 1, in->lim.max_line);
		}
		if (nl || (in->eof && pending)) {
			r = input_check_nul(in, text, n, why, whylen);
			if (r < 0)
				return r;
			text[n] = '\0';
			in->start += nl ? n + 1 : n;
			in->lineno++;
			*line = text;
			*len = n;
			return 1;
		}
		if (in->eof)
			return 0;
		got = input_fill(in);
		if (got == -ETIMEDOUT)
			return why_err(
			    why, whylen, -ETIMEDOUT,
			    "%s: no data for %.3g s (a FIFO or pipe that nobody writes?)", in->name,
			    in->lim.idle_ms / 1000.0);
		if (got < 0)
			return why_err(why, whylen, (int)got, "%s: %s", in->name,
			               strerror((int)-got));
		if (in->total > in->lim.max_bytes)
			return why_err(why, whylen, -EFBIG, "%s: more than %zu bytes (at line %lu)",
			               in->name, in->lim.max_bytes, in->lineno + 1);
		in->eof = got == 0;
	}
}

int input_slurp(const char *path, const struct input_limits *lim, char **buf, size_t *len,
                char *why, size_t whylen)
{
	struct input in;
	char *out = NULL, *line;
	size_t used = 0, cap = 0, n;
	int r = input_open(&in, path, lim, why, whylen);

	*buf = NULL;
	*len = 0;
	if (r < 0)
		return r;
	while ((r = input_line(&in, &line, &n, why, whylen)) > 0) {
		if (GREEDY_REALLOC(out, cap, used + n + 2) < 0) {
			r = -ENOMEM;
			break;
		}
		memcpy(out + used, line, n);
		used += n;
		out[used++] = '\n';
	}
	input_close(&in);
	if (r == 0 && GREEDY_REALLOC(out, cap, used + 1) < 0)
		r = -ENOMEM;
	if (r < 0) {
		free(out);
		return r;
	}
	out[used] = '\0';
	*buf = out;
	*len = used;
	return 0;
}

bool input_is_bad(int err)
{
	return err == -EINVAL || err == -EFBIG || err == -ETIMEDOUT || err == -EISDIR ||
	       err == -ENOENT || err == -ENOTDIR;
}
