#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "output/json.h"

/*
 * 15 significant digits: every real rounded to a decimal of at most 15
 * digits (a duration to the microsecond, a frequency from a file) is written
 * back exactly as that decimal, never as 0.17299999999999999.
 */
#define JSON_FLAGS                                                                                 \
	(JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

int json_write_line(FILE *out, const json_t *v)
{
	if (json_dumpf(v, out, JSON_FLAGS) < 0)
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

json_t *json_seconds(double s)
{
	return json_real(isfinite(s) ? round(s * 1e6) / 1e6 : 0);
}

json_t *json_millis(double ms)
{
	return json_real(isfinite(ms) ? round(ms * 1e3) / 1e3 : 0);
}

json_t *json_time(double t)
{
	int64_t us;
	time_t sec;
	struct tm tm;
	char buf[48];

	if (!(t > 0) || !isfinite(t))
		return json_null();
	us = (int64_t)llround(t * 1e6);
	sec = (time_t)(us / 1000000);
	if (!gmtime_r(&sec, &tm) || strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return json_null();
	snprintf(buf + 19, sizeof(buf) - 19, ".%06lldZ", (long long)(us % 1000000));
	return json_string(buf);
}

const char *json_family(int af)
{
	return af == AF_INET6 ? "ipv6" : "ipv4";
}
