/* lookups.c — see lookups.h. */
#include <stdio.h>
#include "lookups.h"

static const char *const queries[] = {
  "SELECT id, name, score, length(payload), hex(substr(payload, 1, 8)) FROM items WHERE id = ?1",
  "SELECT id, name, score FROM items WHERE name = 'item-' || ?1",
  "SELECT count(*), total(score), max(length(payload)) FROM items WHERE id BETWEEN ?1 AND ?1 + 49",
};
#define NQUERIES ((int)(sizeof queries / sizeof queries[0]))

static unsigned next_random(unsigned *s) { /* xorshift32 */
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return *s;
}

static void digest_text(lookups_result *res, const unsigned char *p) {
  unsigned long long h = res->digest;
  for (; p && *p; p++) h = (h ^ *p) * 1099511628211ull;
  res->digest = (h ^ 0xff) * 1099511628211ull; /* a column separator */
}

int lookups_run(sqlite3 *db, unsigned seed, int n, long max_id, lookups_result *res) {
  sqlite3_stmt *st[NQUERIES] = {0};
  unsigned s = seed * 2654435761u + 1;
  int rc = SQLITE_OK;
  res->rows = 0;
  res->digest = 1469598103934665603ull;
  for (int q = 0; q < NQUERIES && rc == SQLITE_OK; q++) rc = sqlite3_prepare_v2(db, queries[q], -1, &st[q], NULL);
  for (int i = 0; i < n && rc == SQLITE_OK; i++) {
    sqlite3_stmt *q = st[i % NQUERIES];
    sqlite3_bind_int64(q, 1, 1 + (long)(next_random(&s) % (unsigned)max_id));
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
      res->rows++;
      for (int c = 0; c < sqlite3_column_count(q); c++) digest_text(res, sqlite3_column_text(q, c));
    }
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
    sqlite3_reset(q);
  }
  for (int q = 0; q < NQUERIES; q++) sqlite3_finalize(st[q]);
  return rc;
}
