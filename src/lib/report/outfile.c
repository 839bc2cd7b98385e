/* A file replaced whole or not at all (see outfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
