/* native.c — the reference for tests/sqlite: the same SQLite amalgamation
 * and the same lookups (examples/sqlite-http-vfs/lookups.c), built with gcc
 * and reading the database file directly.
 *   native gen <path> <rows>                        creates the test database
 *   native lookup <path> <tasks> <lookups> <max_id> prints what main.c prints
 *   native query <path> <sql>...                    prints each query's rows as the
 *       SQLite page does (web/sqlite/rows.c), each followed by a line "--";
 *       on stderr, the pages each read from a cold cache ("pages N")
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lookups.h"
#include "rows.h"

static int fail(sqlite3 *db, const char *what) {
  fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
  sqlite3_close(db);
  return 1;
}

static int gen(const char *path, long rows) {
  sqlite3 *db;
  char sql[512];
  remove(path);
  if (sqlite3_open(path, &db) != SQLITE_OK) return fail(db, path);
  snprintf(sql, sizeof sql,
           "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN;"
           "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT UNIQUE, score REAL, payload BLOB);"
           "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %ld)"
           " INSERT INTO items SELECT x, 'item-' || x, (x * 37 %% 1000) / 7.0, randomblob(200) FROM c;"
           "COMMIT;", rows);
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) return fail(db, "gen");
  return sqlite3_close(db) != SQLITE_OK;
}

static int lookup(const char *path, int tasks, int n, long max_id) {
  for (int i = 0; i < tasks; i++) {
    sqlite3 *db;
    lookups_result res;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) return fail(db, path);
    if (lookups_run(db, (unsigned)i, n, max_id, &res) != SQLITE_OK) return fail(db, "lookup");
    printf("task %d rows %d digest %016llx\n", i, res.rows, res.digest);
    sqlite3_close(db);
  }
  return 0;
}

/* Opened immutable, as the page's VFS is, so that the page counts match. */
static int query(const char *path, int n, char **sql) {
  sqlite3 *db;
  char uri[4096];
  snprintf(uri, sizeof uri, "file:%s?immutable=1", path);
  if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK) return fail(db, path);
  for (int i = 0; i < n; i++) {
    rows_result res = {0};
    int hit = 0, miss = 0, unused;
    sqlite3_db_release_memory(db);
    sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_HIT, &unused, &unused, 1);
    sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_MISS, &unused, &unused, 1);
    if (rows_run(db, sql[i], &res) != SQLITE_OK) return fail(db, sql[i]);
    sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_HIT, &hit, &unused, 0);
    sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_MISS, &miss, &unused, 0);
    printf("%s--\n", res.text ? res.text : "");
    fprintf(stderr, "pages %d (hits %d) rows %ld\n", miss, hit, res.rows);
    free(res.text);
  }
  return sqlite3_close(db) != SQLITE_OK;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "gen") == 0) return gen(argv[2], atol(argv[3]));
  if (argc == 6 && strcmp(argv[1], "lookup") == 0) return lookup(argv[2], atoi(argv[3]), atoi(argv[4]), atol(argv[5]));
  if (argc >= 4 && strcmp(argv[1], "query") == 0) return query(argv[2], argc - 3, argv + 3);
  fprintf(stderr, "usage: native gen <path> <rows> | lookup <path> <tasks> <lookups> <max_id> | query <path> <sql>...\n");
  return 2;
}
