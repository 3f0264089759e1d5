/* lookups.h — the queries the example (and the test, natively) run: plain
 * SQLite, nothing wasync-specific. The database has one table,
 *   items(id INTEGER PRIMARY KEY, name TEXT UNIQUE, score REAL, payload BLOB)
 * with ids 1..max_id and name 'item-<id>'. */
#ifndef LOOKUPS_H
#define LOOKUPS_H

#include "sqlite3.h"

typedef struct {
  int rows;                 /* rows returned by all lookups */
  unsigned long long digest; /* FNV-1a of every column's text, in order */
} lookups_result;

/* Runs n lookups chosen by a PRNG seeded with seed: by id, by name (the
 * index) and a 50-row range, in turn. SQLITE_OK, or the first error (the
 * statements are finalized either way; res holds what was seen so far). */
int lookups_run(sqlite3 *db, unsigned seed, int n, long max_id, lookups_result *res);

#endif /* LOOKUPS_H */
