/*
 * -sS and -sU where raw scans cannot be built (Windows: no packet sockets, no
 * pcap in the build): the flags are known, and a run says they are Linux-only.
 */
#include <errno.h>
#include <netinet/in.h>

#include "scan/engine.h"
#include "scan/technique.h"
#include "util/why.h"

#define LINUX_ONLY "Linux-only (raw packets and capture): use -sT, the connect scan"

static int linux_only_run(const struct scan_config *cfg, const struct scan_sink *sink, char *why,
                          size_t whylen)
{
	(void)sink;
	return why_err(why, whylen, -EOPNOTSUPP, "%s is %s", cfg->tech->flag, LINUX_ONLY);
}

const struct scan_technique scan_tech_syn = {
    .name = "syn",
    .flag = "-sS",
    .help = "TCP SYN scan (Linux-only)",
    .xml_type = "syn",
    .proto = IPPROTO_TCP,
    .needs_raw = true,
    .unavailable = LINUX_ONLY,
    .run = linux_only_run,
};

const struct scan_technique scan_tech_udp = {
    .name = "udp",
    .flag = "-sU",
    .help = "UDP scan (Linux-only)",
    .xml_type = "udp",
    .proto = IPPROTO_UDP,
    .needs_raw = true,
    .unavailable = LINUX_ONLY,
    .run = linux_only_run,
};
