/* The registry of built-in probes: payloads written for portscope, parsers in svc-*.c. */
#include "detect/builtin.h"

#include <string.h>

#include "detect/parsers.h"

#define PORTS(...)  ((const uint16_t[]){__VA_ARGS__, 0})
#define PAYLOAD(a)  .payload = (a), .payload_len = sizeof(a) - 1
#define BPAYLOAD(a) .payload = (a), .payload_len = sizeof(a)

static const uint8_t http_get[] = "GET / HTTP/1.0\r\n\r\n";
/* The Docker Engine API answers / with a bare 404; /version names it. */
static const uint8_t docker_version[] = "GET /version HTTP/1.0\r\n\r\n";
static const uint8_t redis_info[] = "INFO server\r\n";
static const uint8_t memcached_version[] = "version\r\n";
static const uint8_t irc_register[] = "NICK portscope\r\nUSER portscope 0 * :portscope\r\n";
static const uint8_t sip_options[] = "OPTIONS sip:nm SIP/2.0\r\n"
                                     "Via: SIP/2.0/UDP nm;branch=z9hG4bK-portscope;rport\r\n"
                                     "From: <sip:nm@nm>;tag=portscope\r\n"
                                     "To: <sip:nm2@nm2>\r\n"
                                     "Call-ID: 50000\r\n"
                                     "CSeq: 42 OPTIONS\r\n"
                                     "Max-Forwards: 70\r\n"
                                     "Content-Length: 0\r\n"
                                     "Contact: <sip:nm@nm>\r\n"
                                     "Accept: application/sdp\r\n\r\n";
static const uint8_t xmpp_stream[] =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";
static const uint8_t amqp_header[] = "AMQP\x00\x00\x09\x01";

/* version.bind TXT CH, id 6: the bytes of nmap's DNSVersionBindReq, so that its match lines judge
 * the answer too */
#define DNS_VERSION_BIND                                                                           \
	0x00, 0x06, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 'v', 'e',    \
	    'r', 's', 'i', 'o', 'n', 0x04, 'b', 'i', 'n', 'd', 0x00, 0x00, 0x10, 0x00, 0x03
static const uint8_t dns_udp[] = {DNS_VERSION_BIND};
static const uint8_t dns_tcp[] = {0x00, 30, DNS_VERSION_BIND};

/* SNMPv1 GetRequest, community "public", sysDescr.0 */
static const uint8_t snmp_get[] = {0x30, 0x29, 0x02, 0x01, 0x00, 0x04, 0x06, 'p',  'u',  'b',  'l',
                                   'i',  'c',  0xa0, 0x1c, 0x02, 0x04, 0x70, 0x73, 0x6e, 0x6d, 0x02,
                                   0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x30, 0x0c, 0x06, 0x08,
                                   0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, 0x05, 0x00};

/* SNMPv3 GetRequest without a user or engine ID (msgID and request-id 0x7073, reportable): the
 * agent answers a Report whose msgAuthoritativeEngineID names its enterprise (RFC 3411) */
static const uint8_t snmpv3_discovery[] = {
    0x30, 0x3a, 0x02, 0x01, 0x03, 0x30, 0x0f, 0x02, 0x02, 0x70, 0x73, 0x02, 0x03, 0x00, 0xff,
    0xe3, 0x04, 0x01, 0x04, 0x02, 0x01, 0x03, 0x04, 0x10, 0x30, 0x0e, 0x04, 0x00, 0x02, 0x01,
    0x00, 0x02, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00, 0x04, 0x00, 0x30, 0x12, 0x04, 0x00, 0x04,
    0x00, 0xa0, 0x0c, 0x02, 0x02, 0x70, 0x73, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x00};

/* LDAP searchRequest on the root DSE for vendorName and vendorVersion, messageID 1 */
static const uint8_t ldap_rootdse[] = {
    0x30, 0x40, 0x02, 0x01, 0x01, 0x63, 0x3b, 0x04, 0x00, 0x0a, 0x01, 0x00, 0x0a, 0x01,
    0x00, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x01, 0x01, 0x00, 0x87, 0x0b, 'o',  'b',
    'j',  'e',  'c',  't',  'C',  'l',  'a',  's',  's',  0x30, 0x1b, 0x04, 0x0a, 'v',
    'e',  'n',  'd',  'o',  'r',  'N',  'a',  'm',  'e',  0x04, 0x0d, 'v',  'e',  'n',
    'd',  'o',  'r',  'V',  'e',  'r',  's',  'i',  'o',  'n',
};

/* NTPv4 client request (mode 3): the bytes of nmap's NTPRequest (its match lines judge the answer)
 */
static const uint8_t ntp_client[48] = {0xe3, 0x00,        0x04, 0xfa, 0x00, 0x01, 0x00, 0x00, 0x00,
                                       0x01, [40] = 0xc5, 0x4f, 0x23, 0x4b, 0x71, 0xb1, 0x52, 0xf3};

/* MQTT 3.1.1 CONNECT, client id "portscope", clean session, keepalive 60; then SUBSCRIBE to
 * $SYS/broker/version (packet id 1, QoS 0): a broker that publishes it names itself */
static const uint8_t mqtt_connect[] = {
    0x10, 0x15, 0x00, 0x04, 'M', 'Q', 'T',  'T',  0x04, 0x02, 0x00, 0x3c, 0x00, 0x09, 'p', 'o', 'r',
    't',  's',  'c',  'o',  'p', 'e', 0x82, 0x18, 0x00, 0x01, 0x00, 0x13, '$',  'S',  'Y', 'S', '/',
    'b',  'r',  'o',  'k',  'e', 'r', '/',  'v',  'e',  'r',  's',  'i',  'o',  'n',  0x00};

/* git protocol: upload-pack of a repository that should not exist; git daemon answers
 * "ERR access denied or repository not exported" (or advertises refs) in a pkt-line */
static const uint8_t git_upload_pack[] = "0032git-upload-pack /portscope.git\0host=portscope\0";

/* beanstalkd: "stats" answers a YAML document with the server's version */
static const uint8_t beanstalk_stats[] = "stats\r\n";

/* Kafka ApiVersions v0, correlation id 'psk1', client id "ps" */
static const uint8_t kafka_apiversions[] = {0x00, 0x00, 0x00, 0x0c, 0x00, 0x12, 0x00, 0x00,
                                            'p',  's',  'k',  '1',  0x00, 0x02, 'p',  's'};

/* MongoDB OP_QUERY admin.$cmd {isMaster: 1}, requestID 'psm1' (little-endian 0x70736d31) */
static const uint8_t mongo_ismaster[] = {
    58, 0, 0, 0, 0x31, 0x6d, 0x73, 0x70, 0,   0,   0,   0,   0xd4, 0x07, 0, 0, /* header */
    0,  0, 0, 0, 'a',  'd',  'm',  'i',  'n', '.', '$', 'c', 'm',  'd',  0,    /* coll */
    0,  0, 0, 0, 0xff, 0xff, 0xff, 0xff,                                       /* skip, n */
    19, 0, 0, 0, 0x10, 'i',  's',  'M',  'a', 's', 't', 'e', 'r',  0,    1, 0, 0, 0, 0,
};

/* PostgreSQL StartupMessage v3.0, user and database "portscope" */
static const uint8_t pg_startup[] = {0,   0,   0,   43,  0,   3,   0,   0,   'u', 's', 'e',
                                     'r', 0,   'p', 'o', 'r', 't', 's', 'c', 'o', 'p', 'e',
                                     0,   'd', 'a', 't', 'a', 'b', 'a', 's', 'e', 0,   'p',
                                     'o', 'r', 't', 's', 'c', 'o', 'p', 'e', 0,   0};

/* RDP: TPKT + X.224 Connection Request + RDP_NEG_REQ (TLS | CredSSP) */
static const uint8_t rdp_cr[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00,
                                 0x00, 0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00};

/* SMB1 NEGOTIATE offering NT LM 0.12, SMB 2.002 and SMB 2.??? (a 2/3 server answers in SMB2) */
static const uint8_t smb_negotiate[] = {
    0x00, 0x00, 0x00, 0x45, /* NetBIOS session, 69 bytes */
    0xff, 'S',  'M',  'B',  0x72, 0x00, 0x00, 0x00, 0x00, 0x18, 0x53, 0xc8, /* negotiate, flags */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* pid high, signature
                                                                             */
    0xff, 0xff, 0xfe, 0xff, 0x00, 0x00, 0x00, 0x00,                         /* tid pid uid mid */
    0x00, 0x22, 0x00, /* word count 0, byte count 34 */
    0x02, 'N',  'T',  ' ',  'L',  'M',  ' ',  '0',  '.',  '1',  '2',  0x00, 0x02,
    'S',  'M',  'B',  ' ',  '2',  '.',  '0',  '0',  '2',  0x00, 0x02, 'S',  'M',
    'B',  ' ',  '2',  '.',  '?',  '?',  '?',  0x00,
};

/* TLS 1.2 ClientHello without SNI: common ECDHE/RSA suites, groups, point formats, signature
 * algorithms */
static const uint8_t tls_client_hello[] = {
    0x16, 0x03, 0x01, 0x00, 0x5f, /* record: handshake, 95 bytes */
    0x01, 0x00, 0x00, 0x5b,       /* ClientHello, 91 bytes */
    0x03, 0x03,                   /* TLS 1.2 */
    0x70, 0x6f, 0x72, 0x74, 0x73, 0x63, 0x6f, 0x70, 0x65, 0x2d, 0x74, 0x6c, 0x73, 0x2d, 0x70,
    0x72, /* random */
    0x6f, 0x62, 0x65, 0x2d, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61,
    0x62, 0x00, /* no session id */
    0x00, 0x12, /* 9 cipher suites */
    0xc0, 0x2f, 0xc0, 0x2b, 0xc0, 0x30, 0xc0, 0x2c, 0xcc, 0xa8, 0xcc, 0xa9, 0x00, 0x9c, 0x00,
    0x9d, 0x00, 0x2f, 0x01, 0x00, /* null compression */
    0x00, 0x20,                   /* extensions, 32 bytes */
    0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18, /* supported_groups */
    0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,                                     /* ec_point_formats */
    0x00, 0x0d, 0x00, 0x0a, 0x00, 0x08, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x01, /* sig algs
                                                                                         */
};

/* clang-format off */
const struct builtin_probe builtin_probes[] = {
	/* Banner parsers: what servers say first. */
	{ .name = "ssh-banner", .service = "ssh", .proto = PROBES_TCP, .ports = PORTS(22, 2222), .rarity = 1,
	  .parse = builtin_parse_ssh },
	{ .name = "ftp-banner", .service = "ftp", .proto = PROBES_TCP, .ports = PORTS(21, 2121), .rarity = 1,
	  .parse = builtin_parse_ftp },
	{ .name = "smtp-banner", .service = "smtp", .proto = PROBES_TCP, .ports = PORTS(25, 465, 587), .rarity = 1,
	  .parse = builtin_parse_smtp },
	{ .name = "pop3-banner", .service = "pop3", .proto = PROBES_TCP, .ports = PORTS(110, 995), .rarity = 1,
	  .parse = builtin_parse_pop3 },
	{ .name = "imap-banner", .service = "imap", .proto = PROBES_TCP, .ports = PORTS(143, 993), .rarity = 1,
	  .parse = builtin_parse_imap },
	{ .name = "nntp-banner", .service = "nntp", .proto = PROBES_TCP, .ports = PORTS(119, 563), .rarity = 2,
	  .parse = builtin_parse_nntp },
	{ .name = "irc-banner", .service = "irc", .proto = PROBES_TCP, .ports = PORTS(6667, 6697), .rarity = 2,
	  .parse = builtin_parse_irc },
	{ .name = "rsync-banner", .service = "rsync", .proto = PROBES_TCP, .ports = PORTS(873), .rarity = 2,
	  .parse = builtin_parse_rsync },
	{ .name = "vnc-banner", .service = "vnc", .proto = PROBES_TCP, .ports = PORTS(5900, 5901, 5902),
	  .rarity = 2, .parse = builtin_parse_vnc },
	{ .name = "telnet-iac", .service = "telnet", .proto = PROBES_TCP, .ports = PORTS(23, 2323), .rarity = 1,
	  .parse = builtin_parse_telnet },
	{ .name = "mysql-greeting", .service = "mysql", .proto = PROBES_TCP, .ports = PORTS(3306), .rarity = 1,
	  .parse = builtin_parse_mysql },
	/* Active probes: send, then parse the answer. */
	{ .name = "tls-client-hello", .service = "ssl", .proto = PROBES_TCP,
	  .ports = PORTS(443, 465, 636, 853, 993, 995, 8443), .rarity = 1, BPAYLOAD(tls_client_hello),
	  .parse = builtin_parse_tls },
	{ .name = "http-get", .service = "http", .proto = PROBES_TCP,
	  .ports = PORTS(80, 81, 591, 8000, 8008, 8080, 8081, 8888, 9200, 9000),
	  .rarity = 1, PAYLOAD(http_get), .parse = builtin_parse_http },
	{ .name = "docker-version", .service = "docker", .proto = PROBES_TCP, .ports = PORTS(2375, 2376),
	  .rarity = 3, PAYLOAD(docker_version), .judge = "GetRequest", .parse = builtin_parse_http },
	{ .name = "redis-info", .service = "redis", .proto = PROBES_TCP, .ports = PORTS(6379, 6380), .rarity = 2,
	  PAYLOAD(redis_info), .parse = builtin_parse_redis },
	{ .name = "memcached-version", .service = "memcached", .proto = PROBES_TCP, .ports = PORTS(11211),
	  .rarity = 2, PAYLOAD(memcached_version), .parse = builtin_parse_memcached },
	{ .name = "dns-version-bind-tcp", .service = "domain", .proto = PROBES_TCP, .ports = PORTS(53), .rarity = 2,
	  BPAYLOAD(dns_tcp), .parse = builtin_parse_dns_tcp },
	{ .name = "dns-version-bind", .service = "domain", .proto = PROBES_UDP, .ports = PORTS(53, 5353),
	  .rarity = 1, BPAYLOAD(dns_udp), .parse = builtin_parse_dns_udp },
	{ .name = "postgresql-startup", .service = "postgresql", .proto = PROBES_TCP, .ports = PORTS(5432, 5433),
	  .rarity = 3, BPAYLOAD(pg_startup), .parse = builtin_parse_postgresql },
	{ .name = "mongodb-ismaster", .service = "mongodb", .proto = PROBES_TCP, .ports = PORTS(27017, 27018),
	  .rarity = 3, BPAYLOAD(mongo_ismaster), .parse = builtin_parse_mongodb },
	{ .name = "rdp-x224", .service = "ms-wbt-server", .proto = PROBES_TCP, .ports = PORTS(3389), .rarity = 3,
	  BPAYLOAD(rdp_cr), .parse = builtin_parse_rdp },
	{ .name = "smb-negotiate", .service = "microsoft-ds", .proto = PROBES_TCP, .ports = PORTS(445, 139),
	  .rarity = 3, BPAYLOAD(smb_negotiate), .parse = builtin_parse_smb },
	{ .name = "ldap-rootdse", .service = "ldap", .proto = PROBES_TCP, .ports = PORTS(389, 3268), .rarity = 3,
	  BPAYLOAD(ldap_rootdse), .parse = builtin_parse_ldap },
	{ .name = "snmp-sysdescr", .service = "snmp", .proto = PROBES_UDP, .ports = PORTS(161), .rarity = 2,
	  BPAYLOAD(snmp_get), .parse = builtin_parse_snmp },
	{ .name = "snmpv3-engineid", .service = "snmp", .proto = PROBES_UDP, .ports = PORTS(161), .rarity = 2,
	  .augments = "snmp", BPAYLOAD(snmpv3_discovery), .parse = builtin_parse_snmpv3 },
	{ .name = "ntp-client", .service = "ntp", .proto = PROBES_UDP, .ports = PORTS(123), .rarity = 2,
	  BPAYLOAD(ntp_client), .parse = builtin_parse_ntp },
	{ .name = "mqtt-connect", .service = "mqtt", .proto = PROBES_TCP, .ports = PORTS(1883, 8883), .rarity = 3,
	  BPAYLOAD(mqtt_connect), .parse = builtin_parse_mqtt },
	{ .name = "amqp-header", .service = "amqp", .proto = PROBES_TCP, .ports = PORTS(5672), .rarity = 3,
	  PAYLOAD(amqp_header), .parse = builtin_parse_amqp },
	{ .name = "kafka-apiversions", .service = "kafka", .proto = PROBES_TCP, .ports = PORTS(9092), .rarity = 4,
	  BPAYLOAD(kafka_apiversions), .parse = builtin_parse_kafka },
	{ .name = "sip-options", .service = "sip", .proto = PROBES_UDP, .ports = PORTS(5060), .rarity = 3,
	  PAYLOAD(sip_options), .parse = builtin_parse_sip },
	{ .name = "sip-options-tcp", .service = "sip", .proto = PROBES_TCP, .ports = PORTS(5060, 5061), .rarity = 4,
	  PAYLOAD(sip_options), .parse = builtin_parse_sip },
	{ .name = "xmpp-stream", .service = "jabber", .proto = PROBES_TCP, .ports = PORTS(5222, 5269), .rarity = 3,
	  PAYLOAD(xmpp_stream), .parse = builtin_parse_xmpp },
	{ .name = "git-upload-pack", .service = "git", .proto = PROBES_TCP, .ports = PORTS(9418), .rarity = 3,
	  PAYLOAD(git_upload_pack), .parse = builtin_parse_git },
	{ .name = "beanstalkd-stats", .service = "beanstalkd", .proto = PROBES_TCP, .ports = PORTS(11300),
	  .rarity = 3, PAYLOAD(beanstalk_stats), .parse = builtin_parse_beanstalkd },
	{ .name = "irc-register", .service = "irc", .proto = PROBES_TCP, .ports = PORTS(6667, 6697), .rarity = 3,
	  PAYLOAD(irc_register), .parse = builtin_parse_irc },
};
/* clang-format on */

const size_t builtin_nprobes = sizeof(builtin_probes) / sizeof(builtin_probes[0]);

const struct builtin_probe *builtin_find(const char *name)
{
	for (size_t i = 0; i < builtin_nprobes; i++)
		if (strcmp(builtin_probes[i].name, name) == 0)
			return &builtin_probes[i];
	return NULL;
}

bool builtin_likes_port(const struct builtin_probe *p, uint16_t port)
{
	for (const uint16_t *pp = p->ports; pp && *pp; pp++)
		if (*pp == port)
			return true;
	return false;
}

int builtin_parse_banner(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	int best = BUILTIN_NO;

	for (size_t i = 0; i < builtin_nprobes; i++) {
		const struct builtin_probe *p = &builtin_probes[i];
		struct detect_service got = {0};
		int rc;

		if (p->payload || !p->parse)
			continue;
		rc = p->parse(buf, len, &got);
		if (rc == BUILTIN_YES) {
			*svc = got;
			return rc;
		}
		if (rc == BUILTIN_MORE && best == BUILTIN_NO) {
			best = rc;
			*svc = got;
		}
	}
	return best;
}
