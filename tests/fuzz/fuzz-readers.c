/*
 * libFuzzer harness: every reader of a file the user names, on arbitrary
 * bytes given as that file (a memfd, read through util/input.c). The first
 * byte picks the reader:
 *   0  a policy file (policy check/compile/apply), then its lint
 *   1  an nmap-service-probes file (scan --probes)
 *   2  a services file (info --services), 3 an nmap-services file
 *   4  a target file (scan -iL), 5 an exclude file (--excludefile)
 * Each must end with 0 or a negative errno and a one-line reason.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "detect/probes.h"
#include "knowledge/services.h"
#include "net/targetspec.h"
#include "policy/lint.h"
#include "policy/policy.h"
#include "util/input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void no_warning(void *ctx, unsigned line, const char *msg)
{
	(void)ctx;
	(void)line;
	(void)msg;
}

static int no_finding(const struct policy_finding *f, void *ctx)
{
	(void)f;
	(void)ctx;
	return 0;
}

/* A policy file as the policy command loads it. */
static int read_policy(const char *path, char *why, size_t whylen)
{
	struct policy_error errs[8];
	struct policy p = {0};
	size_t len, nerr = 0;
	char *buf;
	int r = input_slurp(path, &(struct input_limits){.max_bytes = 1u << 20, .max_line = 65536},
	                    &buf, &len, why, whylen);

	if (r < 0)
		return r;
	r = policy_read_buf(buf, len, &p, errs, 8, &nerr);
	if (r == 0)
		policy_lint(&p, no_finding, NULL);
	else if (r == -EINVAL && nerr == 0)
		abort();
	policy_free(&p);
	free(buf);
	snprintf(why, whylen, "syntax");
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], why[512] = "";
	int fd, r = 0;

	if (size < 1)
		return 0;
	fd = memfd_create("fuzz-readers", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1)) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	switch (data[0] % 6) {
	case 0:
		r = read_policy(path, why, sizeof(why));
		break;
	case 1: {
		struct probes_file pf;

		probes_init(&pf, no_warning, NULL);
		r = probes_load_file(&pf, path, why, sizeof(why));
		probes_free(&pf);
		break;
	}
	case 2:
	case 3: {
		struct kb *kb = kb_new();

		if (!kb)
			break;
		r = kb_load_file(kb, path, data[0] % 6 == 2 ? KB_SRC_ETC : KB_SRC_NMAP, NULL, why,
		                 sizeof(why));
		if (r == 0)
			kb_finalize(kb);
		kb_free(kb);
		break;
	}
	default: {
		struct targetset *ts = targetset_new(TARGETSET_NO_DNS);

		if (!ts)
			break;
		r = targetset_add_file(ts, path, data[0] % 6 == 5, why, sizeof(why));
		targetset_free(ts);
	}
	}
	if (r < 0 && r != -ENOMEM && (!why[0] || strchr(why, '\n')))
		abort();
	close(fd);
	return 0;
}
