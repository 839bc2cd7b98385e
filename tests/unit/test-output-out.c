/* Scan output formats: the registry, what is hidden, and each format's text for one host. */
#include <errno.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/valid.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "knowledge/services.h"
#include "output/json.h"
#include "output/out.h"
#include "output/progress.h"
#include "output/service.h"

#define NPORTS 40

/* Ports 1-40: 22 and 25 open, 30 filtered (no-response), the rest closed. */
static uint16_t ports[NPORTS];
static uint8_t res[NPORTS];
static struct portlist plist = {.ports = ports, .n = NPORTS};

static struct scan_host make_host(void)
{
	struct scan_host h = {.up = true,
	                      .srtt_us = 50,
	                      .proto = IPPROTO_TCP,
	                      .nports = NPORTS,
	                      .ports = ports,
	                      .res = res,
	                      .start = 1700000000,
	                      .end = 1700000001};

	h.addr.family = AF_INET;
	inet_pton(AF_INET, "198.18.0.2", &h.addr.v4);
	for (int i = 0; i < NPORTS; i++) {
		ports[i] = (uint16_t)(i + 1);
		res[i] = scan_res_pack(SCAN_CLOSED, SCAN_REASON_CONN_REFUSED);
	}
	res[21] = scan_res_pack(SCAN_OPEN, SCAN_REASON_SYN_ACK);
	res[24] = scan_res_pack(SCAN_OPEN, SCAN_REASON_SYN_ACK);
	res[29] = scan_res_pack(SCAN_FILTERED, SCAN_REASON_NO_RESPONSE);
	for (int i = 0; i < NPORTS; i++)
		h.counts[scan_res_state(res[i])]++;
	return h;
}

static const struct scan_summary summary = {
    .hosts_total = 1,
    .hosts_up = 1,
    .counts = {[SCAN_OPEN] = 2, [SCAN_CLOSED] = 37, [SCAN_FILTERED] = 1},
    .probes_sent = 42,
    .retries = 1,
    .start = 1700000000,
    .end = 1700000001,
    .elapsed = 0.61,
};

/* A knowledge base of the test's own, so names do not depend on the machine. */
static const struct kb *test_kb(void)
{
	static struct kb *kb;
	static const char services[] = "ssh 22/tcp\nsmtp 25/tcp mail\n";

	if (!kb) {
		kb = kb_new();
		assert_non_null(kb);
		assert_int_equal(kb_parse(kb, services, sizeof(services) - 1, KB_SRC_ETC, NULL), 0);
		assert_int_equal(kb_finalize(kb), 0);
	}
	return kb;
}

/* Runs format fmt over the host; returns the text (free it). */
static char *render(const struct out_format *fmt, bool open_only, bool interactive)
{
	struct out_info info = {.version = "0.1.0",
	                        .args = "portscope scan -p1-40 198.18.0.2",
	                        .scan_type = "connect",
	                        .proto = IPPROTO_TCP,
	                        .ports = &plist,
	                        .open_only = open_only,
	                        .start = 1700000000,
	                        .kb = test_kb()};
	struct scan_host h = make_host();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct out_stream s = {.fmt = fmt, .f = f, .info = &info, .interactive = interactive};

	assert_non_null(f);
	assert_int_equal(fmt->begin(&s), 0);
	assert_int_equal(fmt->host(&s, &h), 0);
	assert_int_equal(fmt->end(&s, &summary), 0);
	assert_null(s.state);
	fclose(f);
	return buf;
}

static void test_registry(void **state)
{
	size_t n = 0;

	(void)state;
	for (size_t i = 0; out_formats[i]; i++, n++) {
		const struct out_format *f = out_formats[i];

		assert_non_null(f->name);
		assert_non_null(f->flag);
		assert_non_null(f->ext);
		assert_non_null(f->help);
		/* -oX: one letter after -o, and not A (-oA BASE is every format). */
		assert_true(strncmp(f->flag, "-o", 2) == 0 && strlen(f->flag) == 3);
		assert_true(f->flag[2] != 'A');
		assert_true(f->ext[0] == '.');
		assert_non_null(f->begin);
		assert_non_null(f->host);
		assert_non_null(f->end);
		for (size_t j = 0; j < i; j++) {
			assert_string_not_equal(f->name, out_formats[j]->name);
			assert_string_not_equal(f->flag, out_formats[j]->flag);
			assert_string_not_equal(f->ext, out_formats[j]->ext);
		}
		assert_ptr_equal(out_format_find(f->name), f);
		assert_ptr_equal(out_format_find(f->flag), f);
	}
	assert_true(n >= 4); /* normal, json-lines, xml, grepable, and any added since */
	assert_null(out_format_find("-oS"));
}

static void test_hidden(void **state)
{
	struct scan_host h = make_host();

	(void)state;
	assert_int_equal(out_hidden_state(&h, false), SCAN_CLOSED);
	assert_int_equal(out_hidden_state(&h, true), SCAN_CLOSED);
	assert_int_equal(out_hidden_states(&h, false), 1u << SCAN_CLOSED);
	assert_int_equal(out_hidden_states(&h, true), 1u << SCAN_CLOSED | 1u << SCAN_FILTERED);
	assert_false(out_port_shown(&h, 0, 1u << SCAN_CLOSED, false));
	assert_true(out_port_shown(&h, 21, 1u << SCAN_CLOSED, false));
	assert_true(out_port_shown(&h, 29, 1u << SCAN_CLOSED, false));
	assert_false(out_port_shown(&h, 29, 1u << SCAN_CLOSED, true));
	/* 25 ports or fewer in every state: everything is listed. */
	h.counts[SCAN_CLOSED] = 25;
	assert_int_equal(out_hidden_state(&h, false), SCAN_PENDING);
	assert_int_equal(out_hidden_states(&h, false), 0);
	/* Every state over 25 is hidden, as nmap: closed and filtered both. */
	h.counts[SCAN_CLOSED] = 30;
	h.counts[SCAN_FILTERED] = 26;
	assert_int_equal(out_hidden_states(&h, false), 1u << SCAN_CLOSED | 1u << SCAN_FILTERED);
	assert_int_equal(out_hidden_state(&h, false), SCAN_CLOSED);
}

/* Open is never the hidden state, however many ports are open (nmap never hides them). */
static void test_open_never_hidden(void **state)
{
	struct scan_host h = make_host();
	char *text;

	(void)state;
	for (int i = 0; i < NPORTS; i++)
		res[i] = scan_res_pack(i < 30 ? SCAN_OPEN : SCAN_CLOSED, SCAN_REASON_SYN_ACK);
	memset(h.counts, 0, sizeof(h.counts));
	h.counts[SCAN_OPEN] = 30;
	h.counts[SCAN_CLOSED] = 10;
	assert_int_equal(out_hidden_state(&h, false), SCAN_PENDING);
	assert_int_equal(out_hidden_state(&h, true), SCAN_CLOSED);
	h.counts[SCAN_OPEN] = 40;
	h.counts[SCAN_CLOSED] = 0;
	assert_int_equal(out_hidden_state(&h, false), SCAN_PENDING);
	assert_int_equal(out_hidden_state(&h, true), SCAN_PENDING);
	assert_int_equal(out_hidden_states(&h, true), 0);
	for (int i = 0; i < NPORTS; i++)
		assert_true(out_port_shown(&h, (size_t)i, 0, true) == (i < 30));
	/* 40 open ports: every format lists them all and names no open "not shown". */
	for (size_t f = 0; out_formats[f]; f++) {
		struct out_info info = {.version = "0.1.0",
		                        .args = "portscope scan",
		                        .scan_type = "connect",
		                        .proto = IPPROTO_TCP,
		                        .ports = &plist,
		                        .start = 1700000000,
		                        .kb = test_kb()};
		char *buf = NULL;
		size_t len = 0;
		FILE *fp = open_memstream(&buf, &len);
		struct out_stream s = {.fmt = out_formats[f], .f = fp, .info = &info};

		assert_non_null(fp);

		for (int i = 0; i < NPORTS; i++)
			res[i] = scan_res_pack(SCAN_OPEN, SCAN_REASON_SYN_ACK);
		assert_int_equal(s.fmt->begin(&s), 0);
		assert_int_equal(s.fmt->host(&s, &h), 0);
		assert_int_equal(s.fmt->end(&s, &summary), 0);
		fclose(fp);
		text = buf;
		assert_null(strstr(text, "ignored states"));
		assert_null(strstr(text, "Not shown"));
		assert_null(strstr(text, "Ignored State"));
		assert_null(strstr(text, "extraports"));
		assert_null(strstr(text, "\"not_shown\":[{"));
		assert_non_null(strstr(text, "40"));
		free(text);
	}
}

static void test_ranges(void **state)
{
	uint16_t p[] = {1, 2, 3, 22, 80, 81, 65535};
	struct portlist pl = {.ports = p, .n = 7};
	char *s = out_port_ranges(&pl);
	char buf[128];
	struct scan_host h = make_host();

	(void)state;
	struct out_reason_count rc[SCAN_REASON_MAX];

	(void)state;
	assert_string_equal(s, "1-3,22,80-81,65535");
	free(s);
	/* Reasons of a state, most common first; the ports of one state and reason. */
	res[2] = scan_res_pack(SCAN_CLOSED, SCAN_REASON_RESET);
	res[3] = scan_res_pack(SCAN_CLOSED, SCAN_REASON_RESET);
	assert_int_equal(out_reasons(&h, SCAN_CLOSED, rc), 2);
	assert_int_equal(rc[0].reason, SCAN_REASON_CONN_REFUSED);
	assert_int_equal(rc[0].count, 35);
	assert_int_equal(rc[1].reason, SCAN_REASON_RESET);
	assert_int_equal(rc[1].count, 2);
	s = out_ports_where(&h, SCAN_CLOSED, SCAN_REASON_RESET);
	assert_string_equal(s, "3-4");
	free(s);
	s = out_ports_where(&h, SCAN_CLOSED, SCAN_REASON_CONN_REFUSED);
	assert_string_equal(s, "1-2,5-21,23-24,26-29,31-40");
	free(s);
	assert_string_equal(out_done_line(&summary, buf, sizeof(buf)),
	                    "1 IP address (1 host up) scanned in 0.61 seconds");
}

static void test_normal(void **state)
{
	char *out = render(&out_normal, false, true);

	(void)state;
	assert_non_null(strstr(out, "Starting portscope 0.1.0 at "));
	assert_non_null(strstr(out, "portscope scan report for 198.18.0.2\n"
	                            "Host is up (0.000050s latency).\n"
	                            "Not shown: 37 closed tcp ports (conn-refused)\n"));
	assert_non_null(strstr(out, "PORT   STATE    SERVICE\n"));
	assert_non_null(strstr(out, "\n30/tcp filtered "));
	assert_non_null(strstr(out, "\n22/tcp open     ssh\n"));
	assert_non_null(
	    strstr(out, "portscope done: 1 IP address (1 host up) scanned in 0.61 seconds\n"));
	free(out);
	/* To a file: '#' comment lines frame it; --open lists only open ports. */
	out = render(&out_normal, true, false);
	assert_true(strncmp(out, "# portscope 0.1.0 scan initiated ", 33) == 0);
	assert_null(strstr(out, "Starting portscope"));
	assert_null(strstr(out, "\033["));
	/* every hidden state named, one reason at a time, as nmap */
	assert_non_null(strstr(out, "\nNot shown: 37 closed tcp ports (conn-refused), "
	                            "1 filtered tcp port (no-response)\n"));
	assert_null(strstr(out, "30/tcp"));
	assert_non_null(strstr(out, "\n25/tcp open  smtp\n"));
	assert_non_null(strstr(out, "# portscope done at "));
	free(out);
}

static void test_jsonl(void **state)
{
	char *out = render(&out_jsonl, false, false), *line, *save = NULL;
	size_t n = 0, nports = 0;
	json_t *last = NULL;

	(void)state;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
		json_error_t err;
		json_t *v = json_loads(line, 0, &err);
		const char *type;

		assert_non_null(v);
		type = json_string_value(json_object_get(v, "type"));
		assert_non_null(type);
		if (strcmp(type, "port") == 0) {
			nports++;
			assert_string_equal(json_string_value(json_object_get(v, "address")),
			                    "198.18.0.2");
			assert_string_equal(json_string_value(json_object_get(v, "proto")), "tcp");
			if (json_integer_value(json_object_get(v, "port")) == 22) {
				json_t *svc = json_object_get(v, "service");

				assert_string_equal(json_string_value(json_object_get(v, "state")),
				                    "open");
				assert_string_equal(json_string_value(json_object_get(v, "reason")),
				                    "syn-ack");
				assert_string_equal(json_string_value(json_object_get(svc, "name")),
				                    "ssh");
				assert_string_equal(
				    json_string_value(json_object_get(svc, "method")), "table");
			}
		} else if (strcmp(type, "host") == 0) {
			json_t *ns = json_array_get(json_object_get(v, "not_shown"), 0);

			assert_int_equal(json_array_size(json_object_get(v, "not_shown")), 1);
			assert_int_equal(json_integer_value(json_object_get(ns, "count")), 37);
			assert_int_equal(json_integer_value(json_object_get(
			                     json_object_get(ns, "reasons"), "conn-refused")),
			                 37);
			/* microseconds, no float noise */
			assert_non_null(strstr(line, "\"latency_ms\":0.05,"));
			assert_non_null(strstr(line, "\"start\":\"2023-11-14T22:13:20.000000Z\""));
		}
		json_decref(last);
		last = v;
	}
	assert_int_equal(nports, 3);
	assert_string_equal(json_string_value(json_object_get(last, "type")), "summary");
	assert_int_equal(json_integer_value(json_object_get(last, "probes_sent")), 42);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(last, "ports"), "closed")), 37);
	assert_string_equal(json_string_value(json_object_get(last, "status")), "complete");
	json_decref(last);
	free(out);
	out = render(&out_jsonl, false, false);
	assert_non_null(strstr(out, "\"duration_s\":0.61}"));
	free(out);
}

/* Durations to the microsecond, times as RFC 3339 UTC, no float noise anywhere. */
static void test_json_numbers(void **state)
{
	json_t *o =
	    json_pack("{s:o, s:o, s:o, s:o, s:o, s:f}", "a", json_seconds(0.54776599999999998), "b",
	              json_millis(0.17299999999999999), "c", json_time(1796378861.0120559), "d",
	              json_time(0), "e", json_seconds(4.0748731439998664), "f", 0.182286);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(o);
	assert_int_equal(json_write_line(f, o), 0);
	fclose(f);
	assert_string_equal(buf,
	                    "{\"a\":0.547766,\"b\":0.173,\"c\":\"2026-12-04T10:07:41.012056Z\","
	                    "\"d\":null,\"e\":4.074873,\"f\":0.182286}\n");
	free(buf);
	json_decref(o);
}

/* nmap keeps one CPE per part, the last of each, in the order a, h, o. */
static void test_cpe_parts(void **state)
{
	char buf[256];
	const char *out[3];

	(void)state;
	assert_int_equal(out_cpe_parts("cpe:/a:openbsd:openssh:9.2p1 cpe:/o:debian:debian_linux "
	                               "cpe:/o:linux:linux_kernel",
	                               buf, sizeof(buf), out),
	                 2);
	assert_string_equal(out[0], "cpe:/a:openbsd:openssh:9.2p1");
	assert_string_equal(out[1], "cpe:/o:linux:linux_kernel");
	assert_int_equal(out_cpe_parts("cpe:/o:x cpe:/h:y cpe:/a:z", buf, sizeof(buf), out), 3);
	assert_string_equal(out[0], "cpe:/a:z");
	assert_string_equal(out[1], "cpe:/h:y");
	assert_string_equal(out[2], "cpe:/o:x");
	assert_int_equal(out_cpe_parts("", buf, sizeof(buf), out), 0);
	assert_int_equal(out_cpe_parts(NULL, buf, sizeof(buf), out), 0);
	assert_int_equal(out_cpe_parts("not-a-cpe", buf, sizeof(buf), out), 0);
}

static void test_grepable(void **state)
{
	char *out = render(&out_grepable, false, false);

	(void)state;
	assert_non_null(strstr(out, "\nHost: 198.18.0.2 ()\tStatus: Up\n"));
	assert_non_null(strstr(out, "\nHost: 198.18.0.2 ()\tPorts: 22/open/tcp//ssh///, "
	                            "25/open/tcp//smtp///, 30/filtered/tcp/////\t"
	                            "Ignored State: closed (37)\n"));
	assert_non_null(strstr(out, "# portscope done at "));
	free(out);
}

static void test_xml(void **state)
{
	char *out = render(&out_xml, false, false);
	xmlDocPtr doc = xmlReadMemory(out, (int)strlen(out), "scan.xml", NULL, 0);
	const char *dtdpath = "/usr/share/nmap/nmap.dtd";

	(void)state;
	assert_non_null(doc);
	/* nmap's lines, one element a line (scripts grep them) */
	assert_non_null(strstr(out, "<ports><extraports state=\"closed\" count=\"37\">\n"
	                            "<extrareasons reason=\"conn-refused\" count=\"37\" "
	                            "proto=\"tcp\" ports=\"1-21,23-24,26-29,31-40\"/>\n"
	                            "</extraports>\n"));
	assert_non_null(strstr(out, "\n<port protocol=\"tcp\" portid=\"22\"><state state=\"open\" "
	                            "reason=\"syn-ack\" reason_ttl=\"0\"/><service name=\"ssh\" "
	                            "method=\"table\" conf=\"3\"/></port>\n"));
	assert_non_null(strstr(out, "\n<host starttime=\"1700000000\" endtime=\"1700000001\">"
	                            "<status state=\"up\" reason=\"user-set\" reason_ttl=\"0\"/>\n"
	                            "<address addr=\"198.18.0.2\" addrtype=\"ipv4\"/>\n"
	                            "<hostnames>\n</hostnames>\n"));
	assert_non_null(strstr(out, "\n</ports>\n<times srtt=\"50\" rttvar=\"0\" to=\"0\"/>\n"
	                            "</host>\n<runstats><finished time=\"1700000001\" "));
	assert_non_null(strstr(out, "<hosts up=\"1\" down=\"0\" total=\"1\"/>\n</runstats>\n"
	                            "</nmaprun>\n"));
	assert_non_null(strstr(out, "\n<!-- portscope 0.1.0 scan initiated "));
	assert_non_null(strstr(out,
	                       "\n<scaninfo type=\"connect\" protocol=\"tcp\" "
	                       "numservices=\"40\" services=\"1-40\"/>\n<verbose level=\"0\"/>\n"
	                       "<debugging level=\"0\"/>\n"));
	if (access(dtdpath, R_OK) == 0) {
		xmlDtdPtr dtd = xmlParseDTD(NULL, (const xmlChar *)dtdpath);
		xmlValidCtxtPtr vctx = xmlNewValidCtxt();

		assert_non_null(dtd);
		assert_int_equal(xmlValidateDtd(vctx, doc, dtd), 1);
		xmlFreeValidCtxt(vctx);
		xmlFreeDtd(dtd);
	}
	xmlFreeDoc(doc);
	free(out);
}

/* The progress line: extrapolated ETA, the engine's own when it has one, throttled redraws. */
static void test_progress(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct out_progress p = {.f = f};
	struct scan_progress sp = {.done = 25, .total = 100, .sent = 50, .found = 2, .elapsed = 10};

	(void)state;
	out_progress_update(&p, &sp);
	fflush(f);
	assert_non_null(strstr(buf, " 25.0%"));
	assert_non_null(strstr(buf, "2 open"));
	assert_non_null(strstr(buf, "ETA 0:30")); /* 10 s for a quarter: 30 s left */
	sp.elapsed = 10.1;                        /* under 0.25 s later: no redraw */
	sp.has_eta = true;
	sp.eta = 65;
	out_progress_update(&p, &sp);
	fflush(f);
	assert_null(strstr(buf, "ETA 1:05"));
	sp.elapsed = 11;
	out_progress_update(&p, &sp);
	fflush(f);
	assert_non_null(strstr(buf, "ETA 1:05"));
	out_progress_clear(&p);
	fclose(f);
	assert_int_equal(buf[len - 1], '\r');
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_registry),
	    cmocka_unit_test(test_hidden),
	    cmocka_unit_test(test_open_never_hidden),
	    cmocka_unit_test(test_ranges),
	    cmocka_unit_test(test_normal),
	    cmocka_unit_test(test_jsonl),
	    cmocka_unit_test(test_grepable),
	    cmocka_unit_test(test_xml),
	    cmocka_unit_test(test_progress),
	    cmocka_unit_test(test_json_numbers),
	    cmocka_unit_test(test_cpe_parts),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);

	xmlCleanupParser();
	return r;
}
