/* Internals shared by services.c and topports.c; not for other modules. */
#pragma once

#include "knowledge/services.h"

struct kb_block {
	struct kb_block *next;
	char text[]; /* a parsed copy of one buffer, tokens NUL-terminated in place */
};

struct kb_name_ref {
	const char *key; /* a name or an alias */
	uint32_t entry;  /* index into kb->recs */
};

struct kb_ranked {
	uint16_t port;
	double freq;
};

struct kb {
	struct kb_service *recs; /* sorted by (proto, port, source, -freq, order) once final */
	size_t nrecs, caprecs;
	struct kb_name_ref *names; /* every name and alias, in record order */
	size_t nnames;
	uint32_t *name_slots; /* hash of names: index + 1 into names, 0 = empty */
	size_t name_mask;     /* number of slots - 1 (a power of two) */
	struct kb_ranked *ranked[KB_PROTO_COUNT]; /* nmap ports by falling frequency */
	size_t nranked[KB_PROTO_COUNT];
	struct kb_block *blocks;
	bool loaded[2]; /* per enum kb_source */
	bool final;
};
