/*
 * `portscope scan` and `portscope audit` → history: the sink half that records
 * results as they arrive.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cmd/common.h"
#include "cmd/scan.h"
#include "detect/service.h"
#include "detect/engine.h"
#include "output/out.h"
#include "scan/engine.h"

int scan_history_start(struct scan_history *h, const char *cmd, const char *db, bool no_history,
                       const struct store_run_info *ri)
{
	char path[PATH_MAX], why[PATH_MAX + 128] = "";
	int r;

	*h = (struct scan_history){.cmd = cmd};
	if (no_history)
		return EXIT_OK;
	if (db) {
		if (strlen(db) >= sizeof(path))
			return cmd_usage(cmd, "--db: path too long");
		strcpy(path, db);
	} else if (store_default_path(path, sizeof(path)) < 0) {
		cmd_error(cmd, "no history: neither XDG_STATE_HOME nor HOME is set "
		               "(use --db PATH or --no-history)");
		return EXIT_OK;
	}
	/* The default file's directories are made; a --db file's directory must exist. */
	r = store_open(path, STORE_CREATE | (db ? 0 : STORE_MKDIR), &h->st, why, sizeof(why));
	if (r < 0 && !db && r != -ENOMEM) {
		/*
		 * The default file is a convenience: a user who cannot write it
		 * (another user's state directory, a read-only home) still gets
		 * the scan or audit. A file named with --db is what was asked for.
		 */
		cmd_error(cmd, "warning: %s not recorded: %s (use --db PATH or --no-history)", cmd,
		          why[0] ? why : strerror(-r));
		h->st = NULL;
		return EXIT_OK;
	}
	if (r < 0) {
		cmd_error(cmd, "history: %s", why[0] ? why : strerror(-r));
		return r == -EBADMSG || r == -ENOTSUP || r == -EINVAL || r == -EISDIR ||
		               r == -ENOENT
		           ? EXIT_USAGE
		           : EXIT_RUNTIME;
	}
	if (ri->resume) {
		h->run = ri->resume;
		r = store_run_resume(h->st, h->run);
	} else {
		r = store_run_begin(h->st, ri, &h->run);
	}
	if (r < 0 && ri->resume) {
		cmd_error(cmd, "history: cannot continue run %lld: %s", (long long)h->run,
		          r == -EBUSY ? "another process took it over" : store_errmsg(h->st));
		store_close(h->st);
		h->st = NULL;
		return EXIT_RUNTIME;
	}
	if (r < 0) {
		cmd_error(cmd, "history: cannot record the run in '%s': %s", path,
		          store_errmsg(h->st));
		store_close(h->st);
		h->st = NULL;
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* Opens the store for the scan's options; EXIT_OK also when history is off. */
int scan_history_open(struct scan_history *h, const struct scan_opts *o,
                      const struct out_info *info, const struct scan_config *cfg,
                      const char *argv_json)
{
	char *ranges;
	int rc;

	*h = (struct scan_history){.cmd = "scan"};
	if (o->no_history)
		return EXIT_OK;
	ranges = out_port_ranges(info->ports);
	if (!ranges) {
		cmd_error("scan", "out of memory");
		return EXIT_RUNTIME;
	}
	rc = scan_history_start(h, "scan", o->db, false,
	                        &(struct store_run_info){
	                            .kind = "scan",
	                            .version = PORTSCOPE_VERSION,
	                            .args = info->args,
	                            .targets = o->target_words,
	                            .ports = ranges,
	                            .proto = info->proto,
	                            .scan_type = info->scan_type ? info->scan_type : "ping",
	                            .start = info->start,
	                            .shard_index = cfg->shard.index,
	                            .shard_count = cfg->shard.count,
	                            .seed = cfg->seed,
	                            .argv = argv_json,
	                            .resume = o->resume_run,
	                        });
	free(ranges);
	return rc;
}

void scan_history_port(struct scan_history *h, const struct scan_result *res)
{
	int r;

	if (!h->st || h->error)
		return;
	/*
	 * Closed and filtered ports, the bulk of a scan, are written with their
	 * host when it is done (store_host keeps them as one count when they are
	 * its "not shown" state); a row per probe here would double the time of
	 * a -p- scan. Open and other telling states are written as they arrive,
	 * so an interrupted scan keeps them.
	 */
	if (res->state == SCAN_CLOSED || res->state == SCAN_FILTERED)
		return;
	r = store_port(h->st, h->run,
	               &(struct store_port){
	                   .addr = res->addr,
	                   .proto = res->proto,
	                   .port = res->port,
	                   .state = res->state,
	                   .reason = res->reason,
	                   .rtt_us = res->rtt_us,
	               });
	if (r < 0)
		h->error = r;
}

void scan_history_host(struct scan_history *h, const struct scan_host *host, const char *name)
{
	struct scan_host named = *host;
	int r;

	if (!h->st || h->error)
		return;
	named.name = name;
	r = store_host(h->st, h->run, &named);
	if (r < 0)
		h->error = r;
}

void scan_history_service(struct scan_history *h, const struct target_addr *addr, int proto,
                          uint16_t port, const char *name, const char *product, const char *version)
{
	int r;

	if (!h->st || h->error || !name || !name[0])
		return;
	r = store_port(h->st, h->run,
	               &(struct store_port){
	                   .addr = addr,
	                   .proto = proto,
	                   .port = port,
	                   .state = SCAN_OPEN,
	                   .reason = SCAN_REASON_SYN_ACK,
	                   .service = name,
	                   .product = product && product[0] ? product : NULL,
	                   .version = version && version[0] ? version : NULL,
	               });
	if (r < 0)
		h->error = r;
}

/* The reason host's port was found open by (its ports are ascending). */
static enum scan_reason sh_reason(const struct scan_host *host, uint16_t port)
{
	size_t lo = 0, hi = host->nports;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (host->ports[mid] < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < host->nports && host->ports[lo] == port)
		return scan_res_reason(host->res[lo]);
	return host->proto == IPPROTO_UDP ? SCAN_REASON_UDP_RESPONSE : SCAN_REASON_SYN_ACK;
}

/* A detected field, NULL when empty. */
#define SH_TEXT(s) ((s)[0] ? (s) : NULL)

void scan_history_versions(struct scan_history *h, const struct scan_host *host,
                           const struct out_version *ver, size_t n)
{
	for (size_t i = 0; i < n && h->st && !h->error; i++) {
		const struct detect_result *d = ver[i].r;
		const struct detect_service *svc = &d->svc;
		int r;

		/* Kept whole, as the outputs print it, so that show reprints it. */
		r = store_port(h->st, h->run,
		               &(struct store_port){
		                   .addr = &host->addr,
		                   .proto = host->proto,
		                   .port = ver[i].port,
		                   .state = SCAN_OPEN,
		                   .reason = sh_reason(host, ver[i].port),
		                   .service = svc->name[0] ? svc->name : "unknown",
		                   .product = SH_TEXT(svc->product),
		                   .version = SH_TEXT(svc->version),
		                   .extrainfo = SH_TEXT(svc->extrainfo),
		                   .hostname = SH_TEXT(svc->hostname),
		                   .ostype = SH_TEXT(svc->ostype),
		                   .devicetype = SH_TEXT(svc->devicetype),
		                   .cpe = SH_TEXT(svc->cpe),
		                   .tunnel = d->tunnel,
		                   .probed = true,
		                   .conf = d->confidence,
		               });
		if (r < 0)
			h->error = r;
	}
}

void scan_history_finding(struct scan_history *h, const struct store_finding *f)
{
	int r;

	if (!h->st || h->error)
		return;
	r = store_finding(h->st, h->run, f);
	if (r < 0)
		h->error = r;
}

void scan_history_endpoint(struct scan_history *h, const struct store_endpoint *e)
{
	int r;

	if (!h->st || h->error)
		return;
	r = store_endpoint(h->st, h->run, e);
	if (r < 0)
		h->error = r;
}

void scan_history_checkpoint(struct scan_history *h, const struct scan_checkpoint *c)
{
	int r;

	if (!h->st || h->error)
		return;
	r = store_checkpoint_put(h->st, h->run, c);
	if (r < 0)
		h->error = r;
}

void scan_history_tick(struct scan_history *h)
{
	int r;

	if (!h->st || h->error)
		return;
	r = store_tick(h->st);
	if (r < 0)
		h->error = r;
}

int scan_history_close(struct scan_history *h, const struct scan_summary *sum, int status)
{
	struct scan_summary all = sum ? *sum : (struct scan_summary){0};
	int r = 0;

	if (!h->st)
		return EXIT_OK;
	all.hosts_up += h->prior_up; /* a resumed run's hosts before it */
	if (!h->error)
		r = store_run_end(h->st, h->run, sum ? &all : NULL, status);
	else
		store_run_end(h->st, h->run, sum ? &all : NULL,
		              status == STORE_RUN_INTERRUPTED ? status : STORE_RUN_INCOMPLETE);
	if (h->error || r < 0) {
		int e = h->error ? h->error : r;

		cmd_error(h->cmd ? h->cmd : "scan", "history: run %lld not fully recorded: %s (%s)",
		          (long long)h->run, strerror(-e), store_errmsg(h->st));
	}
	store_close(h->st);
	h->st = NULL;
	return h->error || r < 0 ? EXIT_RUNTIME : EXIT_OK;
}
