/* rows.h — runs SQL and writes what it returns as text: plain SQLite,
 * nothing wasync-specific, so that the page (sqlite.c) and the native
 * reference (tests/sqlite/native.c) print byte-identical results.
 *
 * The text: for each statement that returns columns, a line of its column
 * names, then one line per row; columns are separated by '|'. A NULL is
 * "NULL", a blob x'<hex>' (its first 16 bytes, then "..." if longer),
 * anything else sqlite3_column_text(). Only the first ROWS_TEXT_MAX rows
 * are written; all are counted. */
#ifndef ROWS_H
#define ROWS_H

#include <stddef.h>
#include "sqlite3.h"

#define ROWS_TEXT_MAX 200

typedef struct {
  char *text; /* NUL-terminated, malloc'd (NULL until something is written); the caller frees it */
  size_t len, cap;
  long rows;  /* rows returned by every statement */
} rows_result;

/* Runs every statement of sql on db in turn and appends its rows to res
 * (which starts zeroed). SQLITE_OK, or the first error (the statement is
 * finalized either way; res holds what came before it). SQLITE_NOMEM if
 * the text could not grow. */
int rows_run(sqlite3 *db, const char *sql, rows_result *res);

#endif /* ROWS_H */
