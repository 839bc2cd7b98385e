/*
 * nmap-service-probes: the probe file format, loaded at run time.
 *
 *   Exclude T:9100-9107
 *   Probe TCP GetRequest q|GET / HTTP/1.0\r\n\r\n|
 *   rarity 1
 *   ports 80,8000-8010
 *   sslports 443
 *   totalwaitms 6000
 *   tcpwrappedms 3000
 *   fallback GetRequest,NULL
 *   match http m|^HTTP/1\.[01] \d\d\d .*\r\nServer: nginx/([\d.]+)|s p/nginx/ v/$1/
 * cpe:/a:igor_sysoev:nginx:$1/ softmatch ftp m/^220 /i
 *
 * Loading is one pass over the lines; regexes are compiled (and JIT-compiled)
 * lazily, the first time a match line is tried, so loading the ~12,000 lines
 * of nmap's file costs only the parse. A malformed line is reported through
 * the error callback with its line number and skipped; the rest still loads.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROBES_DEFAULT_PATH "/usr/share/nmap/nmap-service-probes"

enum probes_proto { PROBES_TCP = 6, PROBES_UDP = 17 };

/* Version fields of a match line, in the order the letters name them. */
enum probes_field {
	PROBES_F_PRODUCT,    /* p/ */
	PROBES_F_VERSION,    /* v/ */
	PROBES_F_INFO,       /* i/ */
	PROBES_F_HOSTNAME,   /* h/ */
	PROBES_F_OSTYPE,     /* o/ */
	PROBES_F_DEVICETYPE, /* d/ */
	PROBES_NFIELDS,
};

#define PROBES_RE_CASELESS 0x1u /* flag i */
#define PROBES_RE_DOTALL   0x2u /* flag s */
#define PROBES_MAX_CPE     4

struct probes_match {
	char *service;
	char *pattern;               /* regex source, NUL-terminated (may not contain NUL itself) */
	uint32_t flags;              /* PROBES_RE_* */
	bool soft;                   /* softmatch line */
	unsigned line;               /* line number in the file, for messages */
	char *field[PROBES_NFIELDS]; /* templates with $1, $P(), $SUBST(), $I(); NULL when absent */
	char *cpe[PROBES_MAX_CPE];
	unsigned ncpe;
	void *re;       /* pcre2_code, compiled on first use */
	int re_state;   /* 0 not yet compiled, 1 compiled, negative: failed */
	unsigned tries; /* matches tried: the JIT compiles a regex once it is in use */
};

struct probes_range {
	uint16_t lo, hi;
};

struct probes_probe {
	char *name;
	enum probes_proto proto;
	uint8_t *payload; /* unescaped q|...| */
	size_t payload_len;
	unsigned line;
	struct probes_range *ports, *sslports;
	size_t nports, nsslports;
	unsigned totalwaitms;  /* 0: not given */
	unsigned tcpwrappedms; /* 0: not given */
	unsigned rarity;       /* 1-9; probes without a rarity line count as 1 */
	char **fallback_names;
	size_t nfallback;
	int *fallback; /* indices into probes_file.probes, resolved by probes_finish; -1 unknown */
	struct probes_match *matches;
	size_t nmatches, matches_cap;
};

struct probes_file {
	struct probes_probe *probes;
	size_t n, cap;
	struct probes_range *exclude_tcp, *exclude_udp; /* Exclude directive */
	size_t nexclude_tcp, nexclude_udp;
	unsigned nerrors;  /* malformed lines skipped */
	unsigned nmatches; /* match + softmatch lines loaded */
	int null_probe;    /* index of the TCP NULL probe or -1 */
	/* Called for each malformed line; msg is one line naming the bad part. */
	void (*on_error)(void *ctx, unsigned line, const char *msg);
	void *ctx;
	/* parser state */
	unsigned lineno;
	int cur; /* index of the probe that match lines belong to, -1 before the first */
	bool finished;
};

/* Sets up an empty file; on_error may be NULL. */
void probes_init(struct probes_file *pf, void (*on_error)(void *, unsigned, const char *),
                 void *ctx);

/*
 * Parses one line (without its newline; a trailing \r is ignored). Returns 0,
 * -ENOMEM, or -EINVAL for a malformed line (reported through on_error and
 * counted in nerrors; the file stays usable).
 */
int probes_parse_line(struct probes_file *pf, const char *line, size_t len);

/* Parses a whole buffer line by line, then probes_finish(). Returns 0 or -ENOMEM. */
int probes_parse_buf(struct probes_file *pf, const char *buf, size_t len);

/* Resolves fallback names. Call once after the last probes_parse_line(). */
int probes_finish(struct probes_file *pf);

#define PROBES_FILE_MAX (64u << 20) /* bytes of a probe file (nmap's: 2.5 MB), at most */
#define PROBES_LINE_MAX 65536u      /* bytes of one of its lines (nmap's: 1,757) */

/*
 * Loads a probe file (streamed line by line through util/input.h). Returns 0,
 * -errno when it cannot be read or breaks PROBES_FILE_MAX, PROBES_LINE_MAX or
 * holds a NUL byte (why says so, with the line), or -ENOMEM. Malformed lines
 * do not fail the load.
 */
int probes_load_file(struct probes_file *pf, const char *path, char *why, size_t whylen);

void probes_free(struct probes_file *pf);

/* Returns the probe called name with protocol proto, or NULL. */
const struct probes_probe *probes_find(const struct probes_file *pf, enum probes_proto proto,
                                       const char *name);

/* Whether port is in ranges r[0..n). */
bool probes_ranges_contain(const struct probes_range *r, size_t n, uint16_t port);

/* Whether the Exclude directive names proto/port. */
bool probes_excluded(const struct probes_file *pf, enum probes_proto proto, uint16_t port);

/*
 * Unescapes a q|...| body: \\ \0 \a \b \f \n \r \t \v \xHH, and \ before any
 * other character stands for that character. Example: "GET\r\n\x00" gives the
 * six bytes 47 45 54 0d 0a 00. Returns the length written to out (which holds
 * at least len bytes), or -EINVAL for a bad \x escape or a trailing backslash.
 */
long probes_unescape(const char *s, size_t len, uint8_t *out);
