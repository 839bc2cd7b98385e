/* Unit tests for the engine's probe order: port hints first, rarity against intensity, built-in
 * twins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "detect/engine.h"
#include "detect/probes.h"

static const char probe_text[] = "Exclude T:9100\n"
                                 "Probe TCP NULL q||\n"
                                 "match ssh m|^SSH|\n"
                                 "Probe TCP GetRequest q|GET / HTTP/1.0\\r\\n\\r\\n|\n"
                                 "rarity 1\n"
                                 "ports 80\n"
                                 "Probe TCP Rare q|rare|\n"
                                 "rarity 8\n"
                                 "ports 9999\n"
                                 "Probe TCP Mid q|mid|\n"
                                 "rarity 5\n"
                                 "Probe TCP Common q|common|\n"
                                 "rarity 2\n"
                                 "Probe TCP SslOnly q|ssl|\n"
                                 "rarity 9\n"
                                 "sslports 8443\n"
                                 "Probe UDP U1 q|u|\n"
                                 "rarity 1\n";

struct plan {
	char text[2048];
};

static void each(void *ctx, const char *probe, const char *source)
{
	struct plan *p = ctx;
	size_t n = strlen(p->text);

	snprintf(p->text + n, sizeof(p->text) - n, "%s%s%s", n ? " " : "", probe,
	         strcmp(source, "builtin") == 0 ? "*" : "");
}

static const char *plan(struct probes_file *pf, bool builtin, unsigned intensity,
                        enum probes_proto proto, uint16_t port, struct plan *out)
{
	struct detect_config cfg;

	detect_config_default(&cfg);
	cfg.pf = pf;
	cfg.no_builtin = !builtin;
	cfg.intensity = intensity;
	out->text[0] = '\0';
	assert_int_equal(detect_plan(&cfg, proto, port, each, out), 0);
	return out->text;
}

static void load(struct probes_file *pf)
{
	probes_init(pf, NULL, NULL);
	assert_int_equal(probes_parse_buf(pf, probe_text, strlen(probe_text)), 0);
	assert_int_equal(pf->nerrors, 0);
}

static void test_plan_nmap_only(void **state)
{
	struct probes_file pf;
	struct plan p;

	(void)state;
	load(&pf);
	/* the port's own probe comes first whatever its rarity, then by rarity up to the intensity
	 */
	assert_string_equal(plan(&pf, false, 7, PROBES_TCP, 9999, &p),
	                    "NULL Rare GetRequest Common Mid");
	assert_string_equal(plan(&pf, false, 9, PROBES_TCP, 9999, &p),
	                    "NULL Rare GetRequest Common Mid SslOnly");
	assert_string_equal(plan(&pf, false, 4, PROBES_TCP, 9999, &p),
	                    "NULL Rare GetRequest Common");
	assert_string_equal(plan(&pf, false, 0, PROBES_TCP, 9999, &p), "NULL Rare");
	assert_string_equal(plan(&pf, false, 0, PROBES_TCP, 8443, &p), "NULL SslOnly");
	assert_string_equal(plan(&pf, false, 1, PROBES_TCP, 80, &p), "NULL GetRequest");
	/* UDP has no NULL probe */
	assert_string_equal(plan(&pf, false, 7, PROBES_UDP, 9999, &p), "U1");
	assert_true(probes_excluded(&pf, PROBES_TCP, 9100));
	probes_free(&pf);
}

static void test_plan_with_builtins(void **state)
{
	struct probes_file pf;
	struct plan p;
	const char *t;

	(void)state;
	load(&pf);
	t = plan(&pf, true, 7, PROBES_TCP, 80, &p);
	/* http-get lists port 80 and has GetRequest's payload: sent once, as the built-in */
	assert_true(strncmp(t, "NULL http-get* ", 15) == 0);
	assert_null(strstr(t, "GetRequest"));
	assert_non_null(strstr(t, "tls-client-hello*"));
	assert_non_null(strstr(t, "Common"));
	assert_null(strstr(t, "Rare"));
	/* the port hint puts redis-info first on 6379 */
	t = plan(&pf, true, 7, PROBES_TCP, 6379, &p);
	assert_true(strncmp(t, "NULL redis-info* ", 17) == 0);
	/* intensity 0 leaves the NULL probe and port-hinted probes only */
	assert_string_equal(plan(&pf, true, 0, PROBES_TCP, 6379, &p), "NULL redis-info*");
	/* UDP 53: the built-in DNS probe, then UDP probes by rarity */
	t = plan(&pf, true, 7, PROBES_UDP, 53, &p);
	assert_true(strncmp(t, "dns-version-bind* ", 18) == 0);
	assert_non_null(strstr(t, "U1"));
	assert_null(strstr(t, "http-get"));
	probes_free(&pf);
}

static void test_plan_builtin_only(void **state)
{
	struct detect_config cfg;
	struct plan p = {""};

	(void)state;
	detect_config_default(&cfg);
	assert_int_equal(detect_plan(&cfg, PROBES_TCP, 5432, each, &p), 0);
	assert_true(strncmp(p.text, "NULL postgresql-startup* ", 25) == 0);
	assert_null(strstr(p.text, "dns-version-bind*")); /* a UDP probe never goes to TCP */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plan_nmap_only),
	    cmocka_unit_test(test_plan_with_builtins),
	    cmocka_unit_test(test_plan_builtin_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
