/* The Prometheus textfile: the exposition format, label escaping, the file replaced whole. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "report/prom.h"
#include "store-helpers.h"

static void test_prom(void **state)
{
	static const struct prom_count exps[] = {{"reachable", 3}, {"loopback-only", 1}};
	struct prom_run r = {
	    .kind = "audit",
	    .targets = "198.18.0.0/24 \"x\\y\"\nz",
	    .tcp = true,
	    .open_tcp = 4,
	    .reachable = 3,
	    .hosts_up = 2,
	    .findings = {1, 0, 2, 5},
	    .exposures = exps,
	    .nexposures = 2,
	    .end = 1763980021.5,
	    .duration = 4.0701,
	};
	char *buf = NULL, path[256], dir[256];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct stat sb;
	char why[256];

	(void)state;
	assert_int_equal(prom_write(f, &r), 0);
	fclose(f);
	/* Label values escaped; every metric with HELP and TYPE; no UDP line for a TCP run. */
	assert_non_null(strstr(buf, "portscope_open_ports{kind=\"audit\",targets=\"198.18.0.0/24 "
	                            "\\\"x\\\\y\\\"\\nz\",proto=\"tcp\"} 4\n"));
	assert_null(strstr(buf, "proto=\"udp\""));
	assert_non_null(strstr(buf, "severity=\"high\"} 5\n"));
	assert_non_null(strstr(buf, "severity=\"info\"} 1\n"));
	assert_non_null(strstr(buf, "exposure=\"loopback-only\"} 1\n"));
	assert_non_null(strstr(buf, "_timestamp_seconds{kind=\"audit\",targets="));
	assert_non_null(strstr(buf, "} 1763980021.500\n"));
	assert_non_null(strstr(buf, "} 4.070\n"));
	for (const char *p = buf; (p = strstr(p, "# TYPE ")) != NULL; p++) {
		const char *name = p + 7, *sp = strchr(name, ' ');
		char help[128];

		snprintf(help, sizeof(help), "# HELP %.*s ", (int)(sp - name), name);
		assert_non_null(strstr(buf, help));
		assert_int_equal(strncmp(sp, " gauge\n", 7), 0);
	}
	free(buf);

	/* The file: replaced whole, readable by others, no temporary file left. */
	tmp_db(path, sizeof(path));
	memcpy(dir, path, sizeof(dir));
	*strrchr(dir, '/') = '\0';
	snprintf(path, sizeof(path), "%.200s/portscope.prom", dir);
	assert_int_equal(prom_write_file(path, &r, why, sizeof(why)), 0);
	assert_int_equal(stat(path, &sb), 0);
#ifdef _WIN32
	assert_int_equal(sb.st_mode & 0777, 0666); /* the CRT's mode: read-write for all */
#else
	assert_int_equal(sb.st_mode & 0777, 0644);
#endif
	assert_int_equal(prom_write_file(path, &r, why, sizeof(why)), 0);
	{
		DIR *d = opendir(dir);
		struct dirent *de;
		int files = 0;

		assert_non_null(d);
		while ((de = readdir(d)) != NULL)
			files += de->d_name[0] != '.';
		closedir(d);
		assert_int_equal(files, 1);
	}
	unlink(path);
	rmdir(dir);
	assert_int_equal(prom_write_file("/nonexistent-dir/x.prom", &r, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "/nonexistent-dir/x.prom"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
