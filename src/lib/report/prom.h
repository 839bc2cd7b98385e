/*
 * A run's metrics as a node_exporter textfile (the Prometheus text exposition
 * format, version 0.0.4), for the monitoring people already run:
 *
 *   # HELP portscope_open_ports Open ports (for an audit, listening sockets) the last run found.
 *   # TYPE portscope_open_ports gauge
 *   portscope_open_ports{kind="scan",targets="198.18.0.0/24",proto="tcp"} 12
 *   …
 *   portscope_findings{kind="audit",severity="high"} 1
 *   portscope_last_run_timestamp_seconds{kind="audit"} 1763980021.5
 *   portscope_last_run_duration_seconds{kind="audit"} 4.07
 *
 * Every metric is a gauge carrying kind ("audit", "scan") and, for runs with
 * targets, targets (the target words as given), so that a scan and an audit,
 * or scans of two networks, can write files side by side in one textfile
 * directory. HELP texts never depend on the run: node_exporter requires the
 * same HELP for one metric name across files.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct prom_count {
	const char *name; /* label value: an exposure ("reachable") */
	uint64_t n;
};

struct prom_run {
	const char *kind;    /* "audit", "scan" */
	const char *targets; /* the target words; NULL: the machine's own audit */
	bool tcp, udp;       /* which protocols the run looked at */
	uint64_t open_tcp, open_udp;
	uint64_t reachable;   /* endpoints reachable from outside (a scan: open ports) */
	uint64_t hosts_up;    /* hosts up (the machine's own audit: 1) */
	uint64_t findings[4]; /* by severity: info, low, medium, high */
	const struct prom_count *exposures; /* audit endpoints by exposure; may be NULL */
	size_t nexposures;
	double end;      /* when the run ended, seconds since the epoch */
	double duration; /* seconds */
};

/* Writes the metrics of r to f. Returns 0 or -EIO. */
int prom_write(FILE *f, const struct prom_run *r);

/*
 * Writes the metrics of r to path through a temporary file in the same
 * directory, made readable by others (0644) and renamed over path, so that
 * node_exporter never reads half a file. Returns 0, or a negative errno with a
 * reason in why; a failed write leaves path as it was and no temporary file.
 */
int prom_write_file(const char *path, const struct prom_run *r, char *why, size_t whylen);

struct outfile_keeper;

/*
 * The same through a keeper forked before the run (outfile_keep()), for runs
 * that may drop privileges. Returns 0, or a negative errno with a reason.
 */
int prom_send(struct outfile_keeper *k, const struct prom_run *r, char *why, size_t whylen);
