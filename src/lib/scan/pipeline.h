/*
 * A scan with host discovery first (scan_config.discover), streamed:
 * discovery runs in a thread of its own and hands every host it finds up to
 * the port scan engine through a feed (engine.h) at once; the engine takes
 * them a group at a time (a group closes when it is full, when discovery has
 * ended, or 200 ms after its first host came), so the port scan of the first
 * hosts runs while the sweep goes on. Hosts found down go to the sink as
 * they are decided, without ports. With no ports to scan (-sn), discovery
 * alone, every host to the sink.
 *
 * Memory: at most 65,536 hosts wait between discovery and the engine (the
 * discovery waits when they do), plus discovery's block and the engine's
 * group. Privileges: discovery's sockets open first; a raw port scan opens its
 * own and drops privileges before discovery starts its threads, a connect
 * scan (or -sn) drops them here.
 *
 * The summary counts every target (hosts_total) and the hosts up; host
 * reports carry discovery's reason (arp-response, echo-reply, …), TTL and MAC.
 */
#pragma once

#include <stddef.h>

#include "scan/engine.h"

/* Runs cfg (cfg->discover set) as scan_run() does. */
int pipeline_run(const struct scan_config *cfg, const struct scan_sink *sink, char *why,
                 size_t whylen);
