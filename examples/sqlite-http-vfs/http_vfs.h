/* http_vfs.h — a read-only SQLite VFS whose reads are HTTP Range requests
 * made with wa_fetch. Copy it into your project.
 *
 * A connection opened through it reads the database file at a URL:
 *
 *   http_vfs_register();
 *   sqlite3_open_v2("http://127.0.0.1:8080/big.db", &db, SQLITE_OPEN_READONLY, "http");
 *
 * Every page SQLite reads is one GET with a `Range: bytes=a-b` header, which
 * suspends only the calling task: other tasks keep running, each with its
 * own connection. The server must answer Range requests with 206 (nginx,
 * Apache, most static file servers and CDNs do).
 *
 * Tasks and connections: a connection belongs to one task at a time. A
 * read suspends the task in the middle of an SQLite call, so two tasks
 * using the same connection would interleave inside SQLite: share one only
 * with a wa_mutex locked around each use (prepare/step/finalize), or,
 * better, open one connection per task.
 *
 * Cancellation and timeouts: if the task is cancelled (wa_cancel) or its
 * timeout scope expires during a read, the request is aborted and SQLite
 * sees an I/O error (SQLITE_IOERR_READ, from sqlite3_step and friends).
 * The connection stays usable: reset or finalize the statement and run it
 * again. http_vfs_last_error() tells which wasync code ended the read.
 */
#ifndef HTTP_VFS_H
#define HTTP_VFS_H

#include "sqlite3.h"

/* Registers the VFS under the name "http" (not as the default VFS).
 * SQLITE_OK, or an SQLite error code. Call once, before opening. */
int http_vfs_register(void);

/* The wasync code (WA_ECANCELED, WA_ETIMEDOUT, WA_ENET, ...) of the last
 * failed read on db's main database file, or 0 if none failed yet (also 0
 * for a database not opened through this VFS). */
int http_vfs_last_error(sqlite3 *db);

/* How many HTTP requests the VFS has made so far (all connections). */
long http_vfs_requests(void);

/* What the VFS does for one connection, kept up to date as requests start
 * and end, so that a page can draw it while the task waits. All times are
 * wa_now() milliseconds. */
typedef struct {
  sqlite3_int64 requests;     /* Range requests sent (the one in flight included) */
  sqlite3_int64 bytes;        /* bytes received */
  sqlite3_int64 read_offset;  /* the request in flight: its first byte, -1 if none */
  sqlite3_int64 read_length;  /* its length in bytes (0 if none) */
  sqlite3_int64 read_started; /* when it was sent */
} http_vfs_stats;

/* db's counters, or NULL for a database not opened through this VFS. Owned
 * by the connection: valid until sqlite3_close(db). The caller may set
 * requests and bytes to 0 (to count one query's, say). */
http_vfs_stats *http_vfs_stats_of(sqlite3 *db);

#endif /* HTTP_VFS_H */
