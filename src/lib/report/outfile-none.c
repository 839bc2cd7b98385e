/*
 * --prometheus FILE where the file keeper cannot be built (Windows: no fork()):
 * the option is refused before the run starts (see outfile.h).
 */
#include <errno.h>
#include <stdio.h>

#include "report/outfile.h"
#include "util/why.h"

int outfile_keep(struct outfile_keeper *k, const char *path, char *why, size_t whylen)
{
	*k = (struct outfile_keeper){0};
	if (!path)
		return 0;
	return why_err(why, whylen, -ENOTSUP, "--prometheus is Linux-only for now");
}

int outfile_keeper_send(struct outfile_keeper *k, const void *buf, size_t len, char *why,
                        size_t whylen)
{
	(void)k;
	(void)buf;
	(void)len;
	return why_err(why, whylen, -ENOTSUP, "--prometheus is Linux-only for now");
}

void outfile_keeper_cancel(struct outfile_keeper *k)
{
	*k = (struct outfile_keeper){0};
}

int outfile_open(struct outfile *o, const char *path, char *why, size_t whylen)
{
	o->path = path;
	o->tmp[0] = '\0';
	o->f = NULL;
	return why_err(why, whylen, -ENOTSUP, "writing '%s' in place is Linux-only for now", path);
}

int outfile_commit(struct outfile *o, int err, char *why, size_t whylen)
{
	(void)o;
	(void)why;
	(void)whylen;
	return err;
}
