/*
 * JSON output through jansson, in the one vocabulary every command speaks
 * (schema/README.md; one JSON Schema per record or document in schema/):
 *
 * - Framing: JSON Lines. Every line is one object with a "type"; a command
 *   that answers once (audit, info, policy check, policy eval, quiz) prints
 *   exactly one line, a command that lists (scan, show, diff, history, ls,
 *   policy verify, policy listening) one line per item and a "summary" last.
 * - Numbers without float noise: reals are written with 15 significant
 *   digits at most, durations rounded to the microsecond (json_seconds,
 *   json_millis), times as RFC 3339 UTC text with microseconds (json_time).
 *
 *   json_t *o = json_pack("{s:s, s:o}", "type", "summary", "duration_s", json_seconds(0.5477661));
 *   json_write_line(stdout, o);   →  {"type":"summary","duration_s":0.547766}
 */
#pragma once

#include <jansson.h>
#include <stdio.h>

/* The version of the vocabulary: schema/NAME.json has "$id" …/schema/1/NAME.json. */
#define JSON_SCHEMA_VERSION 1

/* Writes v compactly on one line (JSON Lines record). Returns 0 or -EIO. */
int json_write_line(FILE *out, const json_t *v);

/* json_object_set_new() that tolerates a NULL value (stores null). Returns 0 or -ENOMEM. */
int json_set(json_t *obj, const char *key, json_t *value);

/* Sets key to the string s, or to null when s is NULL. */
int json_set_str(json_t *obj, const char *key, const char *s);

/* A duration in seconds rounded to the microsecond: 0.54776599999 → 0.547766. */
json_t *json_seconds(double s);

/* A duration in milliseconds rounded to the microsecond: 0.17299999 → 0.173. */
json_t *json_millis(double ms);

/*
 * A wall-clock time (seconds since the epoch) as RFC 3339 UTC text with
 * microseconds, "2026-12-04T10:07:40.012056Z"; null when t <= 0 (unknown).
 */
json_t *json_time(double t);

/* "ipv4" or "ipv6" for AF_INET / AF_INET6. */
const char *json_family(int af);
