/* main.c — SQLite over HTTP with wasync: many tasks, one connection each.
 *
 *   node lookup.mjs lookup <url> <tasks> <lookups> <max_id>
 *       <tasks> tasks at once, each opening its own connection to the
 *       database at <url> (http_vfs.c) and running <lookups> lookups
 *       (lookups.c); prints one line per task, in task order, then the
 *       time and the number of HTTP requests on stderr.
 *   node lookup.mjs lookup-serial <url> <tasks> <lookups> <max_id>
 *       the same tasks one at a time (each joined before the next starts):
 *       the same output, for comparing with the concurrent run.
 *   node lookup.mjs interrupt <url> <max_id>
 *       a timeout scope, then a wa_cancel, each hitting a task in the middle
 *       of a read (use a slow server: every read must take longer than
 *       50 ms); prints what SQLite saw and that the same connection still
 *       answers afterwards (lookups seeded 7 and 8, as tasks 7 and 8 of
 *       `lookup` with one lookup each).
 * Build (see the README's "SQLite over HTTP"):
 *   wasync build sqlite3.c http_vfs.c lookups.c main.c -DSQLITE_OMIT_LOAD_EXTENSION \
 *     -DSQLITE_THREADSAFE=0 -o lookup.mjs
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http_vfs.h"
#include "lookups.h"
#include "wasync.h"

typedef struct {
  const char *url;
  int index, lookups, rc;
  long max_id;
  lookups_result res;
} job;

static int open_db(const char *url, sqlite3 **db) {
  int rc = sqlite3_open_v2(url, db, SQLITE_OPEN_READONLY, "http");
  if (rc != SQLITE_OK) {
    fprintf(stderr, "open %s: %s\n", url, *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
    sqlite3_close(*db);
    *db = NULL;
  }
  return rc;
}

static int lookup_task(void *arg) {
  job *j = arg;
  sqlite3 *db;
  if ((j->rc = open_db(j->url, &db)) != SQLITE_OK) return 1;
  j->rc = lookups_run(db, (unsigned)j->index, j->lookups, j->max_id, &j->res);
  if (j->rc != SQLITE_OK) fprintf(stderr, "task %d: %s\n", j->index, sqlite3_errmsg(db));
  sqlite3_close(db);
  return j->rc != SQLITE_OK;
}

static int run_lookups(const char *url, int tasks, int lookups, long max_id, int serial) {
  job *jobs = calloc((size_t)tasks, sizeof *jobs);
  wa_task **ts = calloc((size_t)tasks, sizeof *ts);
  int64_t t0 = wa_now();
  int rc = 0;
  if (!jobs || !ts) return 1;
  for (int i = 0; i < tasks; i++) {
    jobs[i] = (job){url, i, lookups, 0, max_id, {0, 0}};
    if (!(ts[i] = wa_spawn(lookup_task, &jobs[i]))) return 1;
    if (serial && wa_join(ts[i]) != 0) rc = 1;
  }
  if (!serial) rc = wa_join_all(ts, tasks);
  for (int i = 0; i < tasks; i++) printf("task %d rows %d digest %016llx\n", i, jobs[i].res.rows, jobs[i].res.digest);
  fprintf(stderr, "lookups: %d tasks x %d in %lld ms, %ld requests\n", tasks, lookups,
          (long long)(wa_now() - t0), http_vfs_requests());
  free(jobs);
  free(ts);
  return rc != 0;
}

/* One lookup by id through db (the first query of lookups.c, seeded as
 * task `seed` of run_lookups would be), and what SQLite and the VFS saw. */
static void show(const char *what, sqlite3 *db, unsigned seed, long max_id) {
  lookups_result res;
  int rc = lookups_run(db, seed, 1, max_id, &res);
  int ext = sqlite3_extended_errcode(db);
  printf("%s: %s", what, rc == SQLITE_OK ? "ok" : ext == SQLITE_IOERR_READ ? "SQLITE_IOERR_READ" : sqlite3_errstr(ext));
  if (rc != SQLITE_OK) printf(" (read ended by %s)\n", wa_err_name(http_vfs_last_error(db)));
  else printf(", task %u rows %d digest %016llx\n", seed, res.rows, res.digest);
}

typedef struct {
  sqlite3 *db;
  long max_id;
  wa_event started;
} victim;

static int cancelled_reader(void *arg) {
  victim *v = arg;
  wa_event_set(&v->started);
  show("cancelled", v->db, 8, v->max_id);
  return 0;
}

static int run_interrupt(const char *url, long max_id) {
  sqlite3 *db;
  wa_timeout to;
  victim v;
  wa_task *t;
  if (open_db(url, &db) != SQLITE_OK) return 1;
  wa_timeout_begin(&to, 50);
  show("timeout", db, 7, max_id);
  printf("timeout expired: %d\n", wa_timeout_end(&to));
  show("after timeout", db, 7, max_id);
  /* The same connection in another task: this one only waits, so the
   * connection is never used by two tasks at once. */
  v.db = db;
  v.max_id = max_id;
  wa_event_init(&v.started);
  t = wa_spawn(cancelled_reader, &v);
  wa_event_wait(&v.started);
  wa_sleep(50); /* it is now inside its first read, which takes longer */
  wa_cancel(t);
  wa_join(t);
  show("after cancel", db, 8, max_id);
  sqlite3_close(db);
  return 0;
}

int wa_main(int argc, char **argv) {
  int rc = http_vfs_register();
  if (rc != SQLITE_OK) {
    fprintf(stderr, "http_vfs_register: %s\n", sqlite3_errstr(rc));
    return 1;
  }
  int serial = argc == 6 && strcmp(argv[1], "lookup-serial") == 0;
  if (argc == 6 && (serial || strcmp(argv[1], "lookup") == 0))
    return run_lookups(argv[2], atoi(argv[3]), atoi(argv[4]), atol(argv[5]), serial);
  if (argc == 4 && strcmp(argv[1], "interrupt") == 0) return run_interrupt(argv[2], atol(argv[3]));
  fprintf(stderr, "usage: %s lookup|lookup-serial <url> <tasks> <lookups> <max_id> | interrupt <url> <max_id>\n", argv[0]);
  return 2;
}
