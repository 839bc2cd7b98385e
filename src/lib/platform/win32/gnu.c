/*
 * GNU and POSIX library functions the Windows CRT lacks (see posix.h):
 * memory streams as temporary files, memmem, strcasestr, strndup, mkdtemp,
 * get_nprocs.
 */
#include <windows.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#undef fclose
#undef mkdir

/* A temporary file that Windows deletes on close ("D"), in %TEMP%. */
static FILE *temp_file(void)
{
	wchar_t dir[MAX_PATH + 1], path[MAX_PATH + 1];

	if (!GetTempPathW(MAX_PATH + 1, dir) || !GetTempFileNameW(dir, L"ps", 0, path))
		return NULL;
	return _wfopen(path, L"w+bD");
}

/* Open memory streams: their FILE and where fclose() puts the bytes. */
static struct memstream {
	FILE *f;
	char **bufp;
	size_t *sizep;
} streams[16];
static SRWLOCK streams_lock = SRWLOCK_INIT;

FILE *open_memstream(char **bufp, size_t *sizep)
{
	FILE *f = temp_file();

	if (!f)
		return NULL;
	AcquireSRWLockExclusive(&streams_lock);
	for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]); i++)
		if (!streams[i].f) {
			streams[i] = (struct memstream){f, bufp, sizep};
			ReleaseSRWLockExclusive(&streams_lock);
			*bufp = NULL;
			*sizep = 0;
			return f;
		}
	ReleaseSRWLockExclusive(&streams_lock);
	fclose(f);
	errno = EMFILE;
	return NULL;
}

/* fclose(); a memory stream's bytes go to its buffer first (NUL-terminated). */
int posix_fclose(FILE *f)
{
	struct memstream m = {0};
	long len;
	int rc = 0;

	AcquireSRWLockExclusive(&streams_lock);
	for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]); i++)
		if (streams[i].f == f) {
			m = streams[i];
			streams[i].f = NULL;
		}
	ReleaseSRWLockExclusive(&streams_lock);
	if (m.f) {
		char *buf = NULL;

		if (fflush(f) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
		    !(buf = malloc((size_t)len + 1)) ||
		    fread(buf, 1, (size_t)len, f) != (size_t)len) {
			free(buf);
			rc = EOF;
		} else {
			buf[len] = '\0';
			*m.bufp = buf;
			*m.sizep = (size_t)len;
		}
	}
	return fclose(f) != 0 ? EOF : rc;
}

FILE *fmemopen(void *buf, size_t size, const char *mode)
{
	FILE *f = temp_file();

	(void)mode;
	if (!f)
		return NULL;
	if ((size && fwrite(buf, 1, size, f) != size) || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		errno = EIO;
		return NULL;
	}
	return f;
}

void *memmem(const void *hay, size_t hlen, const void *needle, size_t nlen)
{
	const char *h = hay;

	if (!nlen)
		return (void *)h;
	for (size_t i = 0; i + nlen <= hlen; i++)
		if (h[i] == *(const char *)needle && memcmp(h + i, needle, nlen) == 0)
			return (void *)(h + i);
	return NULL;
}

char *strcasestr(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (_strnicmp(hay, needle, n) == 0)
			return (char *)hay;
	return n ? NULL : (char *)hay;
}

/* setenv() over _putenv_s (TZ for the report's tests). */
int setenv(const char *name, const char *value, int overwrite)
{
	if (!overwrite && getenv(name))
		return 0;
	if (_putenv_s(name, value) != 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

char *strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *d = malloc(len + 1);

	if (!d)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

char *mkdtemp(char *tmpl)
{
	size_t len = strlen(tmpl);

	if (len < 6 || strcmp(tmpl + len - 6, "XXXXXX") != 0) {
		errno = EINVAL;
		return NULL;
	}
	for (int tries = 0; tries < 100; tries++) {
		unsigned r = (unsigned)rand() ^ (unsigned)GetTickCount() ^ (unsigned)(tries * 7919);

		for (int i = 0; i < 6; i++, r /= 36)
			tmpl[len - 6 + i] = "abcdefghijklmnopqrstuvwxyz0123456789"[r % 36];
		if (CreateDirectoryA(tmpl, NULL))
			return tmpl;
		if (GetLastError() != ERROR_ALREADY_EXISTS)
			break;
	}
	errno = EEXIST;
	return NULL;
}

int get_nprocs(void)
{
	SYSTEM_INFO si;

	GetSystemInfo(&si);
	return (int)si.dwNumberOfProcessors;
}

struct qsort_r_ctx {
	int (*cmp)(const void *, const void *, void *);
	void *arg;
};

static int qsort_r_tramp(void *ctx, const void *a, const void *b)
{
	const struct qsort_r_ctx *c = ctx;

	return c->cmp(a, b, c->arg);
}

void qsort_r(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *, void *),
             void *arg)
{
	struct qsort_r_ctx c = {cmp, arg};

	qsort_s(base, n, size, qsort_r_tramp, &c);
}
