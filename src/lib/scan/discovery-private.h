/* What the discovery files share (discovery.c, discovery-windows.c, discovery-connect.c). */
#pragma once

#include "scan/discovery.h"

/*
 * Connect discovery over ports (a non-empty list) of cfg's targets.
 * where(where_ctx, a): 1 for an address of this machine (up without a probe),
 * 0 to probe it, -ENETUNREACH when no route leads there (down), another
 * negative errno to stop. Returns 0 or a negative errno (why says).
 */
int disc_connect_run(const struct disc_config *cfg, const struct portlist *ports,
                     int (*where)(void *ctx, const struct target_addr *a), void *where_ctx,
                     const struct disc_sink *sink, struct disc_stats *st, char *why, size_t whylen);
