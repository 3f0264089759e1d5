/* rows.c — see rows.h. */
#include <stdlib.h>
#include <string.h>
#include "rows.h"

/* Appends n bytes of s; 0, or -1 when out of memory. */
static int put(rows_result *res, const char *s, size_t n) {
  if (res->len + n + 1 > res->cap) {
    size_t cap = res->cap ? res->cap : 4096;
    char *p;
    while (cap < res->len + n + 1) cap *= 2;
    if (!(p = realloc(res->text, cap))) return -1;
    res->text = p;
    res->cap = cap;
  }
  memcpy(res->text + res->len, s, n);
  res->len += n;
  res->text[res->len] = '\0';
  return 0;
}

static int puts_(rows_result *res, const char *s) { return put(res, s, strlen(s)); }

static int put_value(rows_result *res, sqlite3_stmt *st, int c) {
  static const char hex[] = "0123456789ABCDEF";
  const unsigned char *b;
  int n, rc = 0;
  switch (sqlite3_column_type(st, c)) {
  case SQLITE_NULL:
    return puts_(res, "NULL");
  case SQLITE_BLOB:
    b = sqlite3_column_blob(st, c);
    n = sqlite3_column_bytes(st, c);
    rc |= puts_(res, "x'");
    for (int i = 0; i < n && i < 16; i++) {
      char two[2] = {hex[b[i] >> 4], hex[b[i] & 15]};
      rc |= put(res, two, 2);
    }
    return rc | puts_(res, n > 16 ? "'..." : "'");
  default:
    return puts_(res, (const char *)sqlite3_column_text(st, c));
  }
}

/* Steps st to its end, writing its rows. */
static int step_all(sqlite3_stmt *st, rows_result *res) {
  int cols = sqlite3_column_count(st), rc, oom = 0;
  for (int c = 0; c < cols; c++) oom |= puts_(res, c ? "|" : "") | puts_(res, sqlite3_column_name(st, c));
  if (cols) oom |= puts_(res, "\n");
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (res->rows++ >= ROWS_TEXT_MAX) continue;
    for (int c = 0; c < cols; c++) oom |= puts_(res, c ? "|" : "") | put_value(res, st, c);
    oom |= puts_(res, "\n");
  }
  if (oom) return SQLITE_NOMEM;
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int rows_run(sqlite3 *db, const char *sql, rows_result *res) {
  int rc = SQLITE_OK;
  while (rc == SQLITE_OK && sql && *sql) {
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    rc = sqlite3_prepare_v2(db, sql, -1, &st, &tail);
    if (rc == SQLITE_OK && st) rc = step_all(st, res);
    sqlite3_finalize(st);
    sql = tail;
  }
  return rc;
}
