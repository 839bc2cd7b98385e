/*
 * Bounded input: every file the user names (policy files, -iL and
 * --excludefile lists, --probes, --services, answers on stdin) is read
 * through here, so that no input is endless. Each reader sets a limit on the
 * whole input and on one line; the first violation ends the read with the
 * file's name and line in why:
 *
 *   p.txt:3: line too long (more than 4096 bytes)
 *   p.txt:1: a NUL byte: binary data, not text        (/dev/zero: at once)
 *   p.txt: more than 1048576 bytes (at line 20480)
 *   p.txt: no data for 10 s (a FIFO or pipe that nobody writes)
 *
 * "-" is standard input. Pipes, FIFOs, sockets and character devices are
 * waited on at most idle_ms for each read (a FIFO is opened without blocking,
 * so a FIFO nobody opens for writing is no hang either); a terminal is waited
 * on as long as it takes (someone is typing), regular files not at all.
 *
 *   struct input in;
 *   r = input_open(&in, "p.txt", &(struct input_limits){.max_bytes = 1 << 20}, why, len);
 *   while ((r = input_line(&in, &line, &n, why, len)) > 0)
 *           parse(line, n, in.lineno);
 *   input_close(&in);
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define INPUT_MAX_BYTES (16u << 20) /* defaults of struct input_limits */
#define INPUT_MAX_LINE  4096u
#define INPUT_IDLE_MS   10000u

struct input_limits {
	size_t max_bytes; /* the whole input; 0: INPUT_MAX_BYTES */
	size_t max_line;  /* one line without its newline; 0: INPUT_MAX_LINE */
	unsigned idle_ms; /* the longest wait for data from a pipe; 0: INPUT_IDLE_MS */
};

struct input {
	const char *name;     /* for messages: the path, or "<stdin>" */
	unsigned long lineno; /* of the line input_line() returned last */
	size_t total;         /* bytes read so far */
	int fd;
	bool own_fd; /* opened here: closed by input_close() */
	bool wait;   /* poll with the idle deadline before reads */
	bool eof;
	struct input_limits lim;
	char *buf;              /* read buffer: max_line + a newline + a read's worth */
	size_t cap, start, end; /* unread bytes are buf[start, end) */
};

/*
 * Opens path ("-": standard input) for reading with limits lim (NULL: the
 * defaults). Returns 0, or a negative errno with why set: -ENOENT and the
 * like from open(2), -EISDIR for a directory, -ENOMEM.
 */
int input_open(struct input *in, const char *path, const struct input_limits *lim, char *why,
               size_t whylen);

/*
 * The next line, without its newline, NUL-terminated in place (the text
 * stays valid, and may be changed, until the next call). Returns 1 with
 * *line and *len, 0 at the end of the input, or a negative errno with why
 * set: -EINVAL (a line too long, a NUL byte), -EFBIG (more than max_bytes),
 * -ETIMEDOUT (no data within idle_ms), -EIO.
 */
int input_line(struct input *in, char **line, size_t *len, char *why, size_t whylen);

/* Closes what input_open() opened and frees the buffer. */
void input_close(struct input *in);

/*
 * The whole input at path read under lim into a new NUL-terminated buffer
 * (*buf, *len; lines keep their newlines). Same returns as input_open() and
 * input_line().
 */
int input_slurp(const char *path, const struct input_limits *lim, char **buf, size_t *len,
                char *why, size_t whylen);

/* Whether err (negative) from these is the input's fault rather than the system's. */
bool input_is_bad(int err);
