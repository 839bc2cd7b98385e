/* Unit tests for the TLS certificate summary (a certificate made here with OpenSSL) and engine
 * helpers. */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "detect/engine.h"
#include "detect/tls-openssl.h"

static X509 *make_cert(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *subj = X509_NAME_new(), *iss = X509_NAME_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	assert_non_null(key);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC, (const unsigned char *)"lab.example",
	                           -1, -1, 0);
	X509_NAME_add_entry_by_txt(subj, "O", MBSTRING_ASC, (const unsigned char *)"Lab", -1, -1,
	                           0);
	X509_NAME_add_entry_by_txt(iss, "CN", MBSTRING_ASC, (const unsigned char *)"Lab CA", -1, -1,
	                           0);
	X509_set_subject_name(x, subj);
	X509_set_issuer_name(x, iss);
	ASN1_TIME_set_string(X509_getm_notBefore(x), "20260101000000Z");
	ASN1_TIME_set_string(X509_getm_notAfter(x), "20271231235959Z");
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
	                          "DNS:lab.example,DNS:www.lab.example,IP:198.18.0.2,IP:fd00:5c09::"
	                          "2,email:a@lab.example");
	assert_non_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	X509_NAME_free(subj);
	X509_NAME_free(iss);
	EVP_PKEY_free(key);
	return x;
}

static void test_tls_cert_info(void **state)
{
	struct detect_tls t = {0};
	X509 *x = make_cert();

	(void)state;
	assert_int_equal(tls_cert_info(x, &t), 0);
	assert_string_equal(t.subject, "O=Lab,CN=lab.example");
	assert_string_equal(t.issuer, "CN=Lab CA");
	assert_string_equal(t.sans, "DNS:lab.example, DNS:www.lab.example, IP:198.18.0.2, "
	                            "IP:fd00:5c09::2, email:a@lab.example");
	assert_string_equal(t.not_after, "2027-12-31T23:59:59Z");
	assert_false(t.handshake);
	assert_int_equal(tls_cert_info(NULL, &t), -EINVAL);
	X509_free(x);
}

static void test_tls_ctx(void **state)
{
	SSL_CTX *ctx = tls_client_ctx_new();

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_NONE);
	assert_int_equal(SSL_CTX_get_security_level(ctx), 0);
	SSL_CTX_free(ctx);
}

static void test_mismatch(void **state)
{
	(void)state;
	assert_true(detect_mismatch("ssh", "http"));
	assert_false(detect_mismatch("http", "http"));
	assert_false(detect_mismatch("http", "http-alt"));
	assert_false(detect_mismatch("http", "www"));
	assert_false(detect_mismatch("domain", "dns"));
	assert_false(detect_mismatch("microsoft-ds", "netbios-ssn"));
	assert_true(detect_mismatch("http", "domain"));
	assert_true(detect_mismatch("redis", "unknownsvc"));
	/* nothing detected, or nothing known for the port: no claim either way */
	assert_false(detect_mismatch("", "http"));
	assert_false(detect_mismatch(NULL, "http"));
	assert_false(detect_mismatch("ssh", NULL));
	assert_false(detect_mismatch("ssh", ""));
}

static void test_endpoint_set(void **state)
{
	struct detect_endpoint ep;

	(void)state;
	assert_int_equal(detect_endpoint_set(&ep, "198.18.0.2", 80, PROBES_TCP), 0);
	assert_int_equal(ep.addr.ss_family, AF_INET);
	assert_int_equal(ep.addrlen, sizeof(struct sockaddr_in));
	assert_int_equal(ntohs(((struct sockaddr_in *)&ep.addr)->sin_port), 80);
	assert_int_equal(detect_endpoint_set(&ep, "fd00:5c09::2", 53, PROBES_UDP), 0);
	assert_int_equal(ep.addr.ss_family, AF_INET6);
	assert_int_equal(ep.proto, PROBES_UDP);
	assert_int_equal(detect_endpoint_set(&ep, "lab.example", 80, PROBES_TCP), -EINVAL);
	assert_int_equal(detect_endpoint_set(&ep, "198.18.0.2", 80, 99), -EINVAL);
}

static void test_config_default(void **state)
{
	struct detect_config cfg;
	struct detect_endpoint ep;

	(void)state;
	detect_config_default(&cfg);
	assert_int_equal(cfg.intensity, 7);
	assert_int_equal(cfg.max_read, 65536);
	assert_null(cfg.pf);
	assert_true(cfg.probe_parallel >= 1 && cfg.max_conns > cfg.probe_parallel);
	/* an impossible configuration is refused before any socket opens */
	cfg.max_read = 0;
	assert_int_equal(detect_endpoint_set(&ep, "198.18.0.2", 80, PROBES_TCP), 0);
	assert_int_equal(detect_run(&cfg, &ep, 1, NULL, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tls_cert_info),  cmocka_unit_test(test_tls_ctx),
	    cmocka_unit_test(test_mismatch),       cmocka_unit_test(test_endpoint_set),
	    cmocka_unit_test(test_config_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
