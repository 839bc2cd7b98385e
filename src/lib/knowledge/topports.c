#include <errno.h>
#include <string.h>

#include "knowledge/kb-private.h"
#include "knowledge/services.h"
#include "util/array.h"

/*
 * Our own ranking of commonly exposed ports, used after nmap's frequencies
 * (or alone when nmap is not installed): web and remote access first, then
 * mail, file sharing, directory, databases, caches, containers, messaging,
 * printing and legacy services. SCTP uses the TCP list.
 */
static const uint16_t common_tcp[] = {
    80,   443,   22,   21,    23,    25,   53,   110,   143,   445,  139,  135,   3389,  8080,
    8443, 993,   995,  587,   465,   3306, 5432, 1433,  1521,  111,  2049, 5900,  5901,  5800,
    6379, 27017, 9200, 9300,  11211, 2375, 2376, 6443,  10250, 2379, 2380, 389,   636,   3268,
    3269, 88,    464,  873,   179,   514,  513,  512,   119,   631,  515,  9100,  548,   554,
    1723, 1080,  3128, 5060,  5061,  5985, 5986, 8000,  8008,  8081, 8888, 9000,  9090,  3000,
    5000, 5001,  8009, 7001,  5984,  9042, 5672, 15672, 1883,  8883, 6667, 25565, 10000, 4443,
    8880, 990,   989,  113,   79,    6000, 6001, 1194,  502,   102,  7547, 5555,  4444,  50000,
    1025, 1026,  1027, 49152, 49153, 2000, 2121, 37,    13,    7,    9,    19,
};

static const uint16_t common_udp[] = {
    53,    123,   161,   162,   137,   138,   67,    68,    69,   500,   4500,  514,   520,   1900,
    5353,  5355,  111,   2049,  1434,  11211, 389,   88,    464,  5060,  1194,  51820, 443,   1812,
    1813,  1645,  1646,  3478,  623,   3702,  5683,  47808, 1701, 177,   427,   631,   4789,  8472,
    6081,  546,   547,   135,   139,   445,   120,   19,    7,    17,    13,    37,    9,     10001,
    27015, 1604,  3283,  49152, 32768, 32769, 33434, 2048,  1024, 1025,  1026,  1027,  1028,  1029,
    1030,  2000,  2222,  5000,  5004,  5005,  5351,  7777,  9987, 10000, 20031, 30718, 31337, 49153,
    49154, 49156, 50000, 54321, 64513, 1718,  1719,  2123,  2152, 3389,  4672,  6346,  6881,
};

struct picker {
	uint16_t *out;
	size_t n, got;
	uint8_t seen[65536 / 8];
};

/* Adds port unless seen or port 0; returns true when out is full. */
static bool pick(struct picker *pk, uint16_t port)
{
	if (port != 0 && !(pk->seen[port >> 3] & (1u << (port & 7)))) {
		pk->seen[port >> 3] |= (uint8_t)(1u << (port & 7));
		pk->out[pk->got++] = port;
	}
	return pk->got == pk->n;
}

int kb_top_ports(const struct kb *kb, enum kb_proto proto, size_t n, uint16_t *out)
{
	struct picker pk = {.out = out, .n = n};
	const uint16_t *common = proto == KB_PROTO_UDP ? common_udp : common_tcp;
	size_t ncommon = proto == KB_PROTO_UDP ? ARRAY_SIZE(common_udp) : ARRAY_SIZE(common_tcp);

	if ((unsigned)proto >= KB_PROTO_COUNT || (n && !out))
		return -EINVAL;
	if (n > 65535)
		return -ERANGE;
	if (n == 0)
		return 0;
	if (kb && kb->final)
		for (size_t i = 0; i < kb->nranked[proto]; i++)
			if (pick(&pk, kb->ranked[proto][i].port))
				return (int)n;
	for (size_t i = 0; i < ncommon; i++)
		if (pick(&pk, common[i]))
			return (int)n;
	if (kb && kb->final)
		for (size_t i = 0; i < kb->nrecs; i++)
			if (kb->recs[i].proto == proto && kb->recs[i].source == KB_SRC_ETC &&
			    pick(&pk, kb->recs[i].port))
				return (int)n;
	for (uint32_t p = 1; p <= 65535; p++)
		if (pick(&pk, (uint16_t)p))
			return (int)n;
	return (int)pk.got; /* not reached: 65535 ports fill any n <= 65535 */
}
