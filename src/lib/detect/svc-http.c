/* HTTP responses: Server header, page title, and the JSON of Elasticsearch and Docker. */
#include <stdio.h>
#include <string.h>

#include "detect/builtin.h"
#include "detect/parsers.h"

/* Value of header name (given as "\nName:") in the head buf[0..len), or NULL. */
static const uint8_t *header(const uint8_t *buf, size_t len, const char *name, size_t *vlen)
{
	long at = text_find(buf, len, name);
	size_t s;

	if (at < 0)
		return NULL;
	s = (size_t)at + strlen(name);
	while (s < len && buf[s] == ' ')
		s++;
	*vlen = text_line_len(buf + s, len - s);
	return buf + s;
}

/* Known Server header products, as nmap names them. */
static const struct {
	const char *prefix;
	const char *product;
	const char *cpe;
} servers[] = {
    {"nginx", "nginx", "cpe:/a:igor_sysoev:nginx"},
    {"Apache", "Apache httpd", "cpe:/a:apache:http_server"},
    {"lighttpd", "lighttpd", "cpe:/a:lighttpd:lighttpd"},
    {"Microsoft-IIS", "Microsoft IIS httpd", "cpe:/a:microsoft:internet_information_services"},
    {"Docker", "Docker", "cpe:/a:docker:docker"},
    {"Caddy", "Caddy httpd", NULL},
    {"openresty", "OpenResty web app server", NULL},
    {"SimpleHTTP", "SimpleHTTPServer", NULL},
    {"BaseHTTP", "BaseHTTPServer", NULL},
};

static void server_header(const uint8_t *v, size_t vlen, struct detect_service *svc)
{
	char s[160];
	size_t n = service_copy_printable(s, sizeof(s), (const char *)v, vlen);
	const char *paren;

	text_product_version(s, n, '/', svc);
	for (size_t i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
		size_t pl = strlen(servers[i].prefix);

		if (strncmp(s, servers[i].prefix, pl) == 0 &&
		    (s[pl] == '/' || s[pl] == '\0' || s[pl] == ' ')) {
			service_set(svc, product, servers[i].product);
			if (servers[i].cpe)
				service_add_cpe(svc, servers[i].cpe);
			break;
		}
	}
	paren = strchr(s, '(');
	if (paren) {
		const char *close = strchr(paren, ')');

		service_copy_printable(svc->extrainfo, sizeof(svc->extrainfo), paren,
		                       close ? (size_t)(close - paren + 1) : strlen(paren));
	}
}

/* Copies the JSON string value of "key" (given with quotes) found in buf into dst. */
static bool json_string(const uint8_t *buf, size_t len, const char *key, char *dst, size_t dstsize)
{
	long at = text_find(buf, len, key);
	size_t s, e;

	if (at < 0)
		return false;
	s = (size_t)at + strlen(key);
	while (s < len && (buf[s] == ' ' || buf[s] == ':' || buf[s] == '\t' || buf[s] == '\n' ||
	                   buf[s] == '\r'))
		s++;
	if (s >= len || buf[s] != '"')
		return false;
	e = ++s;
	while (e < len && buf[e] != '"')
		e++;
	if (e >= len)
		return false;
	service_copy_printable(dst, dstsize, (const char *)buf + s, e - s);
	return true;
}

/* Whether the body after the head looks complete enough to stop reading. */
static bool body_done(const uint8_t *buf, size_t len, size_t body)
{
	size_t vlen;
	const uint8_t *cl = header(buf, body, "\nContent-Length:", &vlen);

	if (cl) {
		char num[24];
		unsigned long want;

		service_copy_printable(num, sizeof(num), (const char *)cl, vlen);
		if (sscanf(num, "%lu", &want) == 1)
			return len - body >= want;
	}
	return text_find(buf + body, len - body, "</title>") >= 0 ||
	       text_find(buf + body, len - body, "</html>") >= 0;
}

/* "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n…\r\n\r\n<html><title>…" */
int builtin_parse_http(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	long head_end, at;
	size_t body, vlen;
	const uint8_t *v;

	if (len < 5)
		return memcmp(buf, "HTTP/", len) == 0 ? BUILTIN_MORE : BUILTIN_NO;
	if (!text_starts(buf, len, "HTTP/") || (len >= 9 && buf[8] != ' '))
		return BUILTIN_NO;
	service_set(svc, name, "http");
	head_end = text_find(buf, len, "\r\n\r\n");
	body = head_end >= 0 ? (size_t)head_end + 4 : len;
	if ((v = header(buf, body, "\nServer:", &vlen)))
		server_header(v, vlen, svc);
	if ((at = text_find(buf + body, len - body, "<title>")) >= 0) {
		size_t s = body + (size_t)at + 7;
		long e = text_find(buf + s, len - s, "</title>");

		service_copy_printable(svc->title, sizeof(svc->title), (const char *)buf + s,
		                       e >= 0 ? (size_t)e : len - s);
	}
	if (text_find(buf + body, len - body, "You Know, for Search") >= 0 ||
	    (text_find(buf + body, len - body, "\"cluster_name\"") >= 0 &&
	     text_find(buf + body, len - body, "\"lucene_version\"") >= 0)) {
		service_set(svc, product, "Elasticsearch REST API");
		json_string(buf + body, len - body, "\"number\"", svc->version,
		            sizeof(svc->version));
		svc->extrainfo[0] = '\0';
		json_string(buf + body, len - body, "\"distribution\"", svc->extrainfo,
		            sizeof(svc->extrainfo));
		service_add_cpe(svc, "cpe:/a:elasticsearch:elasticsearch");
	} else if (text_find(buf + body, len - body, "\"ApiVersion\"") >= 0 &&
	           text_find(buf + body, len - body, "\"GoVersion\"") >= 0) {
		/* GET /version of the Docker Engine API: {"Version":"20.10.24+dfsg1",...} */
		service_set(svc, product, "Docker");
		svc->version[0] = '\0';
		json_string(buf + body, len - body, "\"Version\"", svc->version,
		            sizeof(svc->version));
		service_set(svc, extrainfo, "Docker Engine API");
		service_add_cpe(svc, "cpe:/a:docker:docker");
	} else if (text_starts(buf, len, "HTTP/1.0 404 ") &&
	           text_find(buf, body, "\nContent-Type: application/json") >= 0 &&
	           len - body == 29 &&
	           text_find(buf + body, len - body, "{\"message\":\"page not found\"}") == 0) {
		/* The Docker Engine API's answer to GET / (without Server header: 20.10). */
		service_set(svc, product, "Docker");
		service_set(svc, extrainfo, "Docker Engine API");
		service_add_cpe(svc, "cpe:/a:docker:docker");
	} else if (header(buf, body, "\nApi-Version:", &vlen) &&
	           header(buf, body, "\nDocker-", &vlen)) {
		if (strcmp(svc->product, "Docker") != 0) {
			svc->version[0] = '\0';
			service_set(svc, product, "Docker");
		}
		service_set(svc, extrainfo, "Docker Engine API");
	}
	/* The Docker Engine API speaks HTTP; nmap names the service "docker". */
	if (strcmp(svc->product, "Docker") == 0)
		service_set(svc, name, "docker");
	if (head_end < 0 || !body_done(buf, len, body))
		return BUILTIN_MORE;
	return BUILTIN_YES;
}
