#include <errno.h>

#include "output/json.h"

int json_write_line(FILE *out, const json_t *v)
{
	if (json_dumpf(v, out, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER) < 0)
		return -EIO;
	return fputc('\n', out) == EOF ? -EIO : 0;
}

int json_write_doc(FILE *out, const json_t *v)
{
	if (json_dumpf(v, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
		return -EIO;
	return fputc('\n', out) == EOF ? -EIO : 0;
}

int json_set(json_t *obj, const char *key, json_t *value)
{
	if (!value)
		value = json_null();
	return json_object_set_new(obj, key, value) < 0 ? -ENOMEM : 0;
}

int json_set_str(json_t *obj, const char *key, const char *s)
{
	return json_set(obj, key, s ? json_string(s) : json_null());
}
