/* sqlite.c — the "SQLite over HTTP" demo. SQLite, unchanged, reads a 100 MB
 * database file from this page's own static server through http_vfs.c
 * (examples/sqlite-http-vfs): every page of the file it needs is one HTTP
 * Range request made with wa_fetch(). Each query the page runs is one call
 * of run_query(), so its own C task, on a connection of its own: sixteen
 * queries at once wait on sixteen requests at once, where one worker (one
 * task, one connection) waits on them one after the other. The page reads
 * conn_states() to draw what every connection is doing while it waits.
 *
 * A connection belongs to one task at a time (see http_vfs.h): the page
 * never runs two queries on one connection at once, and run_query refuses
 * to if asked. Cancelling a call (the page's Cancel button: the promise's
 * cancel(), which is wa_cancel() on its task) aborts the request in flight;
 * SQLite sees a read error, the statement ends, and the connection is ready
 * for the next query.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "http_vfs.h"
#include "rows.h"
#include "wasync.h"

/* Sixteen for the queries at once, one for the same queries one at a
 * time, one for the visitor's own queries. */
#define CONNS 18

enum { CLOSED, OPENING, IDLE, RUNNING, DONE, CANCELLED, FAILED };

/* What the page draws, one per connection (the layout page.js reads). */
typedef struct {
  int32_t state;
  int32_t error;        /* CANCELLED or FAILED: the wasync code that ended the read, 0 if none did */
  int32_t ms;           /* the last query's time, once it ended */
  int32_t rows;         /* the rows it returned, once it ended */
  int64_t started;      /* wa_now() when it started */
  http_vfs_stats *vfs;  /* the connection's live requests and bytes (reset for each query) */
  int32_t pad;
} conn_state;

static sqlite3 *dbs[CONNS];
static conn_state conns[CONNS];

/* The sixteen queries: each reads 11 to 19 pages of the file (4 KiB each),
 * one after the other (a B-tree is walked from its root down): one reader
 * waits for 258 requests in a row, sixteen readers for 19. items(id INTEGER PRIMARY
 * KEY, name TEXT UNIQUE, score REAL, payload BLOB), ids 1..420000, names
 * 'item-<id>' (tests/sqlite/native.c makes it). */
static const char *const QUERIES[] = {
  "SELECT id, name, score FROM items WHERE id IN (4242, 84242, 142424, 242424, 342424, 404242)",
  "SELECT id, name, score FROM items WHERE name IN ('item-77777', 'item-177777', 'item-277777')",
  "SELECT count(*), round(total(score), 2) FROM items WHERE id BETWEEN 200000 AND 200249",
  "SELECT id, score FROM items WHERE id BETWEEN 300000 AND 300249 ORDER BY score DESC, id LIMIT 5",
  "SELECT name, score FROM items WHERE name >= 'item-4200' AND name < 'item-42005' ORDER BY name",
  "SELECT id, length(payload), hex(substr(payload, 1, 4)) FROM items WHERE id IN (7, 70007, 140007, 210007, 280007, 350007)",
  "SELECT min(score), max(score), count(*) FROM items WHERE id BETWEEN 1 AND 250",
  "SELECT CAST(score / 20 AS INT) AS bucket, count(*) FROM items WHERE id BETWEEN 50000 AND 50249 GROUP BY bucket ORDER BY bucket",
  "SELECT name, score FROM items WHERE name >= 'item-2' ORDER BY name LIMIT 8",
  "SELECT count(*), min(name), max(name) FROM items WHERE id > 419750",
  "SELECT sum(length(payload)) FROM items WHERE id BETWEEN 123456 AND 123705",
  "SELECT a.id, b.id, b.score FROM items a JOIN items b ON b.id = a.id * 97 WHERE a.id BETWEEN 1000 AND 1011",
  "SELECT count(*) FROM items WHERE id BETWEEN 10000 AND 10249 AND id % 7 = 0",
  "SELECT id, score FROM items WHERE id BETWEEN 250000 AND 250249 AND score > 140",
  "SELECT (SELECT max(id) FROM items), (SELECT min(id) FROM items), (SELECT max(name) FROM items), (SELECT name FROM items WHERE id = 210000)",
  "SELECT id FROM items WHERE name IN ('item-1', 'item-22', 'item-333', 'item-4444', 'item-55555', 'item-166666')",
};
#define NQUERIES ((int)(sizeof QUERIES / sizeof QUERIES[0]))

/* The page's queries, by index (NULL past the last). */
WA_EXPORT const char *demo_query(int i) { return i >= 0 && i < NQUERIES ? QUERIES[i] : NULL; }

WA_EXPORT int conn_count(void) { return CONNS; }
WA_EXPORT conn_state *conn_states(void) { return conns; }

/* Opens connection i to the database at url (relative to the page) and
 * reads its schema, so that every query after it starts alike. 0, or an
 * SQLite error code (the connection stays closed and may be opened again). */
WA_EXPORT int open_conn(int i, const char *url) {
  sqlite3 *db = NULL;
  int rc;
  if (i < 0 || i >= CONNS) return SQLITE_MISUSE;
  if (conns[i].state != CLOSED) return conns[i].state == OPENING ? SQLITE_BUSY : SQLITE_OK;
  conns[i].state = OPENING;
  rc = sqlite3_open_v2(url, &db, SQLITE_OPEN_READONLY, "http");
  /* Sorting spills to memory: there is no file system to spill to. */
  if (rc == SQLITE_OK) rc = sqlite3_exec(db, "PRAGMA temp_store = MEMORY; SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    sqlite3_close(db);
    conns[i].state = CLOSED;
    return rc;
  }
  dbs[i] = db;
  conns[i].vfs = http_vfs_stats_of(db);
  conns[i].state = IDLE;
  return 0;
}

/* Runs sql (one or more statements) on connection i, from a cold page
 * cache so that a query costs the same requests whichever connection runs
 * it. Returns, for the page (wa_js_bytes), the rows as text (rows.h) or,
 * if it failed, SQLite's message; NULL if the connection is not open or is
 * busy. conns[i] says how it ended. */
WA_EXPORT void *run_query(int i, const char *sql) {
  rows_result res = {0};
  conn_state *c;
  const char *msg;
  void *out;
  int rc;
  if (i < 0 || i >= CONNS || !dbs[i] || conns[i].state == RUNNING) return NULL;
  c = &conns[i];
  sqlite3_db_release_memory(dbs[i]);
  c->vfs->requests = c->vfs->bytes = 0;
  c->state = RUNNING;
  c->error = c->rows = c->ms = 0;
  c->started = wa_now();
  rc = rows_run(dbs[i], sql, &res);
  c->ms = (int32_t)(wa_now() - c->started);
  c->rows = (int32_t)res.rows;
  /* A read the VFS could not finish: cancelled, timed out, the network. */
  if (rc != SQLITE_OK && sqlite3_extended_errcode(dbs[i]) == SQLITE_IOERR_READ) c->error = http_vfs_last_error(dbs[i]);
  c->state = rc == SQLITE_OK ? DONE : c->error == WA_ECANCELED ? CANCELLED : FAILED;
  msg = rc == SQLITE_OK ? (res.text ? res.text : "") : sqlite3_errmsg(dbs[i]);
  out = wa_js_bytes(msg, strlen(msg));
  free(res.text);
  return out;
}

int wa_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  return http_vfs_register() != SQLITE_OK;
}
