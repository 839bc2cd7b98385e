/* What service detection learns about one endpoint: bounded strings, no allocation. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct detect_service {
	char name[48]; /* nmap-style service name ("ssh", "http"); "" when unknown */
	char product[96];
	char version[64];
	char extrainfo[160];
	char hostname[96];
	char ostype[48];
	char devicetype[48];
	char cpe[256];  /* space-separated cpe:/ strings */
	char title[96]; /* HTML title of a web page */
	bool soft;      /* only a softmatch: the service is known, its version is not */
};

/* Copies at most len bytes of s into dst (size dstsize), keeping only printable
 * ASCII; stops at NUL, CR or LF. Returns the length written. */
size_t service_copy_printable(char *dst, size_t dstsize, const char *s, size_t len);

/* Sets one field from a C string (printable copy). */
#define service_set(svc, field, s)                                                                 \
	service_copy_printable((svc)->field, sizeof((svc)->field), (s), strlen(s))

/* Appends a cpe string to svc->cpe, separated by a space, when it fits. */
void service_add_cpe(struct detect_service *svc, const char *cpe);
