/*
 * Aligned text tables, the human output of every subcommand.
 *
 * Cells are added left to right; a row is complete when it holds one cell per
 * column. Widths are computed at render time, so a table is buffered whole;
 * subcommands with unbounded output render one table per chunk (per host).
 *
 *   struct table *t = table_new();
 *   table_add_column(t, "PORT", TABLE_LEFT);
 *   table_add_column(t, "STATE", TABLE_LEFT);
 *   table_cell(t, "22/tcp"); table_cell_color(t, "open", TABLE_GREEN);
 *   table_render(t, stdout, use_color);
 *
 * renders
 *   PORT   STATE
 *   22/tcp open
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum table_align { TABLE_LEFT, TABLE_RIGHT };

/* SGR colour codes for table_cell_color(); NULL means no colour. */
#define TABLE_RED     "31"
#define TABLE_GREEN   "32"
#define TABLE_YELLOW  "33"
#define TABLE_BLUE    "34"
#define TABLE_MAGENTA "35"
#define TABLE_CYAN    "36"
#define TABLE_BOLD    "1"
#define TABLE_DIM     "2"

struct table;

/* Returns a new empty table, or NULL when out of memory. */
struct table *table_new(void);
void table_free(struct table *t);

/* Adds a column; only before the first cell. Returns 0 or -ENOMEM/-EBUSY. */
int table_add_column(struct table *t, const char *header, enum table_align align);

/* Whether the header line is rendered (default true). */
void table_set_header(struct table *t, bool show);

/* Separator between columns (default one space). */
void table_set_gap(struct table *t, unsigned gap);

/* Appends a cell (copied; NULL renders as "-"). Returns 0 or -ENOMEM. */
int table_cell(struct table *t, const char *text);
int table_cell_color(struct table *t, const char *text, const char *sgr);
int table_cellf(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Number of complete and partial rows. */
size_t table_rows(const struct table *t);

/* Writes the table to out; colour escapes only when color is true. Returns 0 or -EIO. */
int table_render(const struct table *t, FILE *out, bool color);
