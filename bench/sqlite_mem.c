/* sqlite_mem.c — the Asyncify tax on a real library: SQLite (the
 * amalgamation, unchanged) on an in-memory database, with no await anywhere,
 * timed in builds that differ only in how they are linked (see
 * rows/sqlite.mjs): plain emcc (main() runs it), wasync with the Asyncify
 * backend and wasync with the JSPI backend (-DWASYNC_BUILD: wa_main() runs
 * it inside a task).
 * Each repetition creates the database of examples/sqlite-http-vfs/lookups.h
 * (items: id, name with a unique index, score, a 200-byte payload, all
 * derived from the id), then runs lookups_run()'s point, index and range
 * lookups on it, and closes it.
 * Usage: <build> <rows> <lookups> <reps> (rows/sqlite.mjs passes all three);
 * one "BENCH {json}" line per rep, after a warm-up; the digest lets rows/sqlite.mjs check that the builds agree. */
#include <emscripten.h>
#include <stdio.h>
#include <stdlib.h>
#include "lookups.h"

static int fail(sqlite3 *db, const char *what) {
  fprintf(stderr, "sqlite_mem: %s: %s\n", what, db ? sqlite3_errmsg(db) : "out of memory");
  sqlite3_close(db);
  return 1;
}

static int once(long rows, int lookups, lookups_result *res, double *insert_ms) {
  sqlite3 *db = NULL;
  char sql[640];
  double t0 = emscripten_get_now();
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) return fail(db, "open");
  snprintf(sql, sizeof sql,
           "BEGIN;"
           "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT UNIQUE, score REAL, payload BLOB);"
           "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %ld)"
           " INSERT INTO items SELECT x, 'item-' || x, (x * 37 %% 1000) / 7.0,"
           " CAST(printf('%%0200d', x * 7919) AS BLOB) FROM c;"
           "COMMIT;", rows);
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) return fail(db, "insert");
  *insert_ms = emscripten_get_now() - t0;
  if (lookups_run(db, 1, lookups, rows, res) != SQLITE_OK) return fail(db, "lookups");
  return sqlite3_close(db) != SQLITE_OK;
}

static int run(long rows, int lookups, int reps) {
  for (int r = -1; r < reps; r++) { /* r == -1: warm-up, not reported */
    lookups_result res;
    double insert_ms = 0;
    double t0 = emscripten_get_now();
    if (once(rows, lookups, &res, &insert_ms) != 0) return 1;
    double ms = emscripten_get_now() - t0;
    if (r >= 0) {
      printf("BENCH {\"rep\":%d,\"ms\":%.3f,\"insert_ms\":%.3f,\"lookup_ms\":%.3f,\"rows\":%d,\"digest\":\"%016llx\"}\n",
             r, ms, insert_ms, ms - insert_ms, res.rows, res.digest);
      fflush(stdout);
    }
  }
  return 0;
}

#ifdef WASYNC_BUILD
#include "wasync.h"
int wa_main(int argc, char **argv) {
  return run(argc > 1 ? atol(argv[1]) : 20000, argc > 2 ? atoi(argv[2]) : 20000, argc > 3 ? atoi(argv[3]) : 5);
}
#else
int main(int argc, char **argv) {
  return run(argc > 1 ? atol(argv[1]) : 20000, argc > 2 ? atoi(argv[2]) : 20000, argc > 3 ? atoi(argv[3]) : 5);
}
#endif
