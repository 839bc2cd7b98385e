/*
 * A file replaced whole or not at all, on Windows (see outfile.h): the
 * temporary file beside the target, flushed (FlushFileBuffers through
 * _commit) and moved over it with MoveFileExW(MOVEFILE_REPLACE_EXISTING),
 * which replaces an existing file as rename() does on Linux. No privileges
 * are dropped on Windows, so the "keeper" is the same process: the
 * temporary file is opened before the run (a path that cannot be written is
 * refused at once) and written at its end.
 */
#include <windows.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "report/outfile.h"
#include "util/why.h"

/* UTF-8 → UTF-16 (the caller frees), or NULL. */
static wchar_t *outfile_wide(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
	wchar_t *w = n > 0 ? malloc((size_t)n * sizeof(*w)) : NULL;

	if (w)
		MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n);
	return w;
}

static void outfile_remove(const char *path)
{
	wchar_t *w = outfile_wide(path);

	if (w)
		DeleteFileW(w);
	free(w);
}

/* MoveFileExW(from, to, replace): 0, or a negative errno. */
static int outfile_move(const char *from, const char *to)
{
	wchar_t *wf = outfile_wide(from), *wt = outfile_wide(to);
	int err = 0;

	if (!wf || !wt)
		err = -EINVAL;
	else if (!MoveFileExW(wf, wt, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
		err = GetLastError() == ERROR_ACCESS_DENIED ? -EACCES : -EIO;
	free(wf);
	free(wt);
	return err;
}

int outfile_open(struct outfile *o, const char *path, char *why, size_t whylen)
{
	int fd = -1, err = -EEXIST;

	o->path = path;
	o->f = NULL;
	for (int tries = 0; fd < 0 && err == -EEXIST && tries < 100; tries++) {
		uint32_t r = 0;

		(void)getrandom(&r, sizeof(r), 0);
		if (snprintf(o->tmp, sizeof(o->tmp), "%s.%08x", path, (unsigned)r) >=
		    (int)sizeof(o->tmp))
			return why_err(why, whylen, -ENAMETOOLONG, "'%s': path too long", path);
		fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_BINARY, 0644);
		err = fd < 0 ? -errno : 0;
	}
	if (fd >= 0 && !(o->f = _fdopen(fd, "wb"))) {
		err = -errno;
		_close(fd);
		outfile_remove(o->tmp);
	}
	if (!o->f)
		return why_err(why, whylen, err ? err : -EIO, "cannot write '%s': %s", path,
		               strerror(err ? -err : EIO));
	return 0;
}

int outfile_commit(struct outfile *o, int err, char *why, size_t whylen)
{
	int e = 0;

	if (fflush(o->f) != 0 || ferror(o->f))
		e = -EIO;
	if (!e && _commit(_fileno(o->f)) != 0)
		e = -EIO;
	if (fclose(o->f) != 0 && !e)
		e = -EIO;
	o->f = NULL;
	if (!err && !e)
		e = outfile_move(o->tmp, o->path);
	if (err || e)
		outfile_remove(o->tmp);
	if (err)
		return err;
	if (e)
		return why_err(why, whylen, e, "cannot write '%s': %s", o->path, strerror(-e));
	return 0;
}

int outfile_keep(struct outfile_keeper *k, const char *path, char *why, size_t whylen)
{
	int err;

	*k = (struct outfile_keeper){0};
	if (!path)
		return 0;
	k->file = calloc(1, sizeof(*k->file));
	if (!k->file)
		return why_err(why, whylen, -ENOMEM, "cannot write '%s': out of memory", path);
	err = outfile_open(k->file, path, why, whylen);
	if (err < 0) {
		free(k->file);
		k->file = NULL;
	}
	return err;
}

int outfile_keeper_send(struct outfile_keeper *k, const void *buf, size_t len, char *why,
                        size_t whylen)
{
	int err;

	if (!k->file)
		return why_err(why, whylen, -EINVAL, "no file to write");
	err = fwrite(buf, 1, len, k->file->f) == len ? 0 : -EIO;
	if (err)
		why_set(why, whylen, "cannot write '%s': %s", k->file->path, strerror(EIO));
	err = outfile_commit(k->file, err, why, whylen);
	free(k->file);
	k->file = NULL;
	return err;
}

void outfile_keeper_cancel(struct outfile_keeper *k)
{
	if (!k->file)
		return;
	outfile_commit(k->file, -ECANCELED, NULL, 0);
	free(k->file);
	k->file = NULL;
}
