/*
 * The report's page, written from real history files that hold hostile text
 * (banners, hostnames, process names, references): markup, timeline, changes, fleet.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "report/report.h"
#include "store-helpers.h"

/* An audit of machine host with hostile text everywhere the history has text. */
static int64_t record_audit(struct store *st, const char *host, int findings, double start)
{
	struct target_addr any = {.family = AF_INET};
	int64_t id;

	if (store_run_begin(st,
	                    &(struct store_run_info){.kind = "audit",
	                                             .args = "portscope audit <b>bold</b> --db"
	                                                     " 'host=h password=pw1 dbname=d'"
	                                                     " postgresql://u:pw2@h/d",
	                                             .hostname = host,
	                                             .start = start},
	                    &id) < 0)
		return -1;
	if (store_endpoint(st, id,
	                   &(struct store_endpoint){
	                       .addr = &any,
	                       .proto = IPPROTO_TCP,
	                       .port = 80,
	                       .exposure = "reachable",
	                       .reachable_on = "198.18.0.2",
	                       .decided_by = "inet filter input handle 7: tcp dport 80 accept",
	                       .service = "ssh",
	                       .product = "OpenSSH\"><script>alert(1)</script>",
	                       .version = "9.2p1 <img src=x onerror=alert(2)>",
	                       .port_default = "http",
	                       .mismatch = true,
	                       .pid = 42,
	                       .process = "<svg onload=alert(3)>",
	                       .user = "root",
	                   }) < 0)
		return -1;
	for (int i = 0; i < findings; i++)
		if (store_finding(st, id,
		                  &(struct store_finding){
		                      .addr = &any,
		                      .proto = IPPROTO_TCP,
		                      .port = 80,
		                      .check = i ? "port-service-mismatch" : "redis-noauth",
		                      .severity = i ? "info" : "high",
		                      .title = "</td></tr></table><script>alert(4)</script>",
		                      .detail = "got '\x1b[31m\xff'",
		                      .recommendation = "close it & see",
		                      .citation = i ? "javascript:alert(5)"
		                                    : "https://example.org/x\"onclick=\"alert(6)",
		                      .pid = 42,
		                      .process = "redis-server",
		                  }) < 0)
			return -1;
	if (store_run_end(st, id, NULL, STORE_RUN_COMPLETE) < 0)
		return -1;
	return id;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* Writes the page of req to a string; returns report_html()'s result. */
static int page(struct store *st, const struct report_request *req, char **buf)
{
	size_t len = 0;
	FILE *f = open_memstream(buf, &len);
	char why[256];
	int r;

	assert_non_null(f);
	r = report_html(st, req, f, why, sizeof(why));
	fclose(f);
	return r;
}

static void test_page(void **state)
{
	char path[128], why[256], *buf = NULL;
	struct report_request req = {.generator = "portscope test", .now = 1763980021};
	struct store *st;
	int64_t a1, a2, a3, other, id;

	(void)state;
	setenv("TZ", "UTC", 1);
	tmp_db(path, sizeof(path));
	assert_int_equal(store_open(path, STORE_CREATE, &st, why, sizeof(why)), 0);
	/* An empty history has nothing to show. */
	assert_int_equal(page(st, &req, &buf), -ENOENT);
	free(buf);
	a1 = record_audit(st, "<img src=x onerror=alert(7)>", 0, 1000);
	a2 = record_audit(st, "<img src=x onerror=alert(7)>", 1, 2000);
	other = record_audit(st, "web-2", 2, 2500);
	a3 = record_audit(st, "<img src=x onerror=alert(7)>", 2, 3000);
	assert_true(a1 > 0 && a2 > 0 && a3 > 0 && other > 0);
	store_close(st);
	assert_int_equal(store_open(path, STORE_READONLY, &st, why, sizeof(why)), 0);
	assert_int_equal(report_default_run(st, &id), 0);
	assert_int_equal(id, a3);

	assert_int_equal(page(st, &req, &buf), 0);
	/* Markup: only the page's own script and no element from the history. */
	assert_int_equal(count(buf, "<script"), 1);
	assert_int_equal(count(buf, "<img"), 0);
	assert_int_equal(count(buf, "<svg "), 1); /* the timeline */
	assert_int_equal(count(buf, "<b>"), 0);
	/* A command line's PostgreSQL passwords are masked. */
	assert_null(strstr(buf, "pw1"));
	assert_null(strstr(buf, "pw2"));
	assert_non_null(strstr(buf, "password=*** dbname=d&#39; postgresql://u:***@h/d"));
	assert_int_equal(count(buf, "onclick=\""), 0);
	assert_non_null(strstr(buf, "&lt;img src=x onerror=alert(7)&gt;"));
	assert_non_null(strstr(buf, "OpenSSH&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(buf, "got &#39;\xef\xbf\xbd[31m\xef\xbf\xbd&#39;"));
	/* Only an http(s) reference without quotes becomes a link; never javascript:. */
	assert_int_equal(count(buf, "<a href=\"javascript"), 0);
	assert_int_equal(count(buf, "<a href=\"https://example.org"), 0);
	/* The timeline: one point per run of the same machine, oldest first. */
	assert_int_equal(count(buf, "class=\"pt pt-open\""), 3);
	{
		const char *p1 = strstr(buf, "pt-open\" data-run=\"1\""),
		           *p2 = strstr(buf, "pt-open\" data-run=\"2\""),
		           *p4 = strstr(buf, "pt-open\" data-run=\"4\"");

		assert_true(p1 && p2 && p4 && p1 < p2 && p2 < p4);
	}
	assert_int_equal(count(buf, "class=\"pt pt-findings\""), 3);
	{
		char pt[64];

		snprintf(pt, sizeof(pt), "pt-findings\" data-run=\"%lld\" data-value=\"1\"",
		         (long long)a2);
		assert_non_null(strstr(buf, pt));
	}
	/* The changes since the previous run of that machine (a2), not web-2's. */
	assert_non_null(strstr(buf, "Changes since run 2"));
	assert_int_equal(count(buf, "data-change=\"finding-new\""), 1);
	assert_int_equal(count(buf, "data-change=\"finding-fixed\""), 0);
	/* Two machines: a fleet. */
	assert_non_null(strstr(buf, "id=\"fleet\""));
	assert_non_null(strstr(buf, "data-host=\"web-2\""));
	/* The exposure row with its rule and the port ≠ service flag. */
	assert_non_null(strstr(buf, "class=\"mismatch\""));
	assert_non_null(strstr(buf, "inet filter input handle 7: tcp dport 80 accept"));
	assert_non_null(strstr(buf, "default-src 'none'"));
	free(buf);

	/* Two runs asked for, without the fleet; an unknown run is refused. */
	{
		int64_t two[] = {a1, other};

		req.runs = two;
		req.nruns = 2;
		req.no_fleet = true;
		req.history = 2;
		assert_int_equal(page(st, &req, &buf), 0);
		assert_null(strstr(buf, "id=\"fleet\""));
		assert_int_equal(a1, 1);
		assert_int_equal(other, 3);
		assert_non_null(strstr(buf, "id=\"run-1\""));
		assert_non_null(strstr(buf, "id=\"run-3\""));
		assert_int_equal(count(buf, "class=\"pt pt-open\""), 2); /* run 1: itself; 3 too */
		free(buf);
		two[1] = 999;
		assert_int_equal(page(st, &req, &buf), -ENOENT);
		free(buf);
	}
	/* A page that cannot be written is an error. */
	{
		FILE *f = fopen("/dev/full", "w");

		req = (struct report_request){.generator = "portscope test"};
		assert_int_equal(report_html(st, &req, f, why, sizeof(why)), -EIO);
		fclose(f);
	}
	store_close(st);
	rm_db(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
