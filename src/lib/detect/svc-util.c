/* Small text and byte helpers for the built-in parsers. */
#include <ctype.h>
#include <string.h>

#include "detect/parsers.h"

size_t text_line_len(const uint8_t *buf, size_t len)
{
	size_t i = 0;

	while (i < len && buf[i] != '\r' && buf[i] != '\n')
		i++;
	return i;
}

int text_has_eol(const uint8_t *buf, size_t len)
{
	return text_line_len(buf, len) < len;
}

long text_find(const uint8_t *buf, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	if (!n || n > len)
		return -1;
	for (size_t i = 0; i + n <= len; i++) {
		size_t k = 0;

		while (k < n && tolower(buf[i + k]) == tolower((unsigned char)needle[k]))
			k++;
		if (k == n)
			return (long)i;
	}
	return -1;
}

int text_starts(const uint8_t *buf, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(buf, prefix, n) == 0;
}

void text_product_version(const char *s, size_t len, char sep, struct detect_service *svc)
{
	size_t i = 0, v;

	while (i < len && s[i] != sep && s[i] != ' ')
		i++;
	service_copy_printable(svc->product, sizeof(svc->product), s, i);
	if (i < len && s[i] == sep) {
		v = ++i;
		while (i < len && s[i] != ' ')
			i++;
		service_copy_printable(svc->version, sizeof(svc->version), s + v, i - v);
	}
}

void text_token(const uint8_t *buf, size_t len, size_t off, char *dst, size_t dstsize)
{
	size_t e;

	while (off < len && (buf[off] == ' ' || buf[off] == '\t'))
		off++;
	e = off;

	while (e < len && buf[e] > ' ' && buf[e] < 0x7f)
		e++;
	service_copy_printable(dst, dstsize, (const char *)buf + (off < len ? off : len),
	                       e > off ? e - off : 0);
}

uint32_t rd_be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

uint32_t rd_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint32_t rd_le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}
