/* JSON output through jansson: one helper per output shape. */
#pragma once

#include <jansson.h>
#include <stdio.h>

/* Writes v compactly on one line (JSON Lines record). Returns 0 or -EIO. */
int json_write_line(FILE *out, const json_t *v);

/* Writes v as one indented document followed by a newline. Returns 0 or -EIO. */
int json_write_doc(FILE *out, const json_t *v);

/* json_object_set_new() that tolerates a NULL value (stores null). Returns 0 or -ENOMEM. */
int json_set(json_t *obj, const char *key, json_t *value);

/* Sets key to the string s, or to null when s is NULL. */
int json_set_str(json_t *obj, const char *key, const char *s);
