/* A file replaced whole or not at all (see outfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report/outfile.h"
#include "util/why.h"

int outfile_open(struct outfile *o, const char *path, char *why, size_t whylen)
{
	int fd, err;

	o->path = path;
	o->f = NULL;
	if (snprintf(o->tmp, sizeof(o->tmp), "%s.XXXXXX", path) >= (int)sizeof(o->tmp))
		return why_err(why, whylen, -ENAMETOOLONG, "'%s': path too long", path);
	fd = mkostemp(o->tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		return why_err(why, whylen, err, "cannot write '%s': %s", path, strerror(-err));
	}
	if (fchmod(fd, 0644) < 0 || !(o->f = fdopen(fd, "w"))) {
		err = -errno;
		close(fd);
		unlink(o->tmp);
		return why_err(why, whylen, err, "cannot write '%s': %s", path, strerror(-err));
	}
	return 0;
}

int outfile_commit(struct outfile *o, int err, char *why, size_t whylen)
{
	int e = 0;

	if (fflush(o->f) != 0 || ferror(o->f))
		e = errno ? -errno : -EIO;
	if (!e && fsync(fileno(o->f)) < 0)
		e = -errno;
	if (fclose(o->f) != 0 && !e)
		e = -EIO;
	o->f = NULL;
	if (!err && !e && rename(o->tmp, o->path) < 0)
		e = -errno;
	if (err || e)
		unlink(o->tmp);
	if (err)
		return err;
	if (e)
		return why_err(why, whylen, e, "cannot write '%s': %s", o->path, strerror(-e));
	return 0;
}

/* What the keeper says: once the temporary file is open, and once it is renamed. */
struct keeper_reply {
	int32_t err;
	char why[PATH_MAX + 128];
};

/* Reads exactly len bytes. Returns 0, or -EPIPE at an early end, or a negative errno. */
static int read_full(int fd, void *buf, size_t len)
{
	for (size_t got = 0; got < len;) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		got += (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	for (size_t put = 0; put < len;) {
		ssize_t n = send(fd, (const char *)buf + put, len - put, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		put += (size_t)n;
	}
	return 0;
}

/* The keeper: opens the temporary file, says so, then writes what it is sent. */
static _Noreturn void keeper_main(int fd, const char *path)
{
	static const int stop[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
	struct keeper_reply rep = {0};
	struct outfile o;
	char chunk[4096];
	uint64_t len;
	int err;

	/*
	 * A ^C or a stop reaches the whole group: the keeper outlives the run
	 * for as long as it takes to see the socket end, and removes its file.
	 */
	for (size_t i = 0; i < sizeof(stop) / sizeof(stop[0]); i++)
		signal(stop[i], SIG_IGN);
	rep.err = outfile_open(&o, path, rep.why, sizeof(rep.why));
	if (write_full(fd, &rep, sizeof(rep)) < 0 || rep.err < 0)
		_exit(rep.err < 0 ? 1 : 0);
	err = read_full(fd, &len, sizeof(len));
	while (!err && len) {
		size_t n = len < sizeof(chunk) ? (size_t)len : sizeof(chunk);

		err = read_full(fd, chunk, n);
		if (!err && fwrite(chunk, 1, n, o.f) != n)
			err = -EIO;
		len -= n;
	}
	if (err == -EPIPE) { /* no content: the run did not finish */
		outfile_commit(&o, -ECANCELED, rep.why, sizeof(rep.why));
		_exit(0);
	}
	if (err < 0)
		why_set(rep.why, sizeof(rep.why), "cannot write '%s': %s", path, strerror(-err));
	rep.err = outfile_commit(&o, err, rep.why, sizeof(rep.why));
	(void)write_full(fd, &rep, sizeof(rep));
	_exit(0);
}

/* Reads the keeper's reply into why; returns its error (-EIO when it has gone). */
static int keeper_wait_reply(struct outfile_keeper *k, char *why, size_t whylen)
{
	struct keeper_reply rep;

	if (read_full(k->fd, &rep, sizeof(rep)) < 0)
		return why_err(why, whylen, -EIO, "the process writing the file has gone");
	rep.why[sizeof(rep.why) - 1] = '\0';
	if (rep.err < 0)
		why_set(why, whylen, "%s", rep.why);
	return rep.err < 0 ? rep.err : 0;
}

int outfile_keep(struct outfile_keeper *k, const char *path, char *why, size_t whylen)
{
	int sv[2], err;
	pid_t pid;

	*k = (struct outfile_keeper){0};
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		err = -errno;
		return why_err(why, whylen, err, "cannot write '%s': %s", path, strerror(-err));
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(sv[0]);
		close(sv[1]);
		return why_err(why, whylen, err, "cannot write '%s': %s", path, strerror(-err));
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		/* Holds none of the caller's pipes open (a shell waits for their end). */
		for (int i = 0; null >= 0 && i < 3; i++)
			dup2(null, i);
		close(sv[0]);
		keeper_main(sv[1], path);
	}
	close(sv[1]);
	k->pid = pid;
	k->fd = sv[0];
	err = keeper_wait_reply(k, why, whylen);
	if (err < 0)
		outfile_keeper_cancel(k);
	return err;
}

int outfile_keeper_send(struct outfile_keeper *k, const void *buf, size_t len, char *why,
                        size_t whylen)
{
	uint64_t n = len;
	int err;

	if (!k->pid)
		return why_err(why, whylen, -EINVAL, "no file to write");
	err = write_full(k->fd, &n, sizeof(n));
	if (!err)
		err = write_full(k->fd, buf, len);
	if (err < 0)
		why_set(why, whylen, "the process writing the file has gone: %s", strerror(-err));
	else
		err = keeper_wait_reply(k, why, whylen);
	outfile_keeper_cancel(k);
	return err;
}

void outfile_keeper_cancel(struct outfile_keeper *k)
{
	if (!k->pid)
		return;
	close(k->fd);
	while (waitpid(k->pid, NULL, 0) < 0 && errno == EINTR)
		;
	*k = (struct outfile_keeper){0};
}
