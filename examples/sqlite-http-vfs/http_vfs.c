/* http_vfs.c — a read-only SQLite VFS over HTTP Range requests (wa_fetch).
 * See http_vfs.h. The main database file is read from its URL; any other
 * file SQLite opens (temporary files for sorting, for instance) goes to the
 * default VFS. Everything but reading is refused or a no-op: the file is
 * immutable (SQLITE_IOCAP_IMMUTABLE), so SQLite takes no locks and looks
 * for no journal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http_vfs.h"
#include "wasync.h"

typedef struct {
  sqlite3_file base; /* must come first */
  char *url;
  sqlite3_int64 size;
  int last_error; /* wasync code of the last failed read, 0 if none */
  http_vfs_stats stats;
} http_file;

static sqlite3_vfs http_vfs;
static long requests;

long http_vfs_requests(void) { return requests; }

/* GETs bytes [off, off+len) of url into buf, counted in *st. Returns how
 * many bytes arrived (at most len), or a negative wasync code. *total, if
 * not NULL, gets the file's size from Content-Range (-1 if the server sent
 * none). */
static long range_get(const char *url, sqlite3_int64 off, long len, void *buf, sqlite3_int64 *total, http_vfs_stats *st) {
  char range[64];
  const char *headers[] = {"Range", range, NULL};
  wa_fetch_opts opts = {NULL, headers, NULL, 0};
  wa_response *r;
  const char *cr;
  char end;
  long got = 0, n = 0;
  int rc;
  snprintf(range, sizeof range, "bytes=%lld-%lld", (long long)off, (long long)(off + len - 1));
  requests++;
  st->requests++;
  st->read_offset = off;
  st->read_length = len;
  st->read_started = wa_now();
  rc = wa_fetch(url, &opts, &r);
  if (rc == 0 && wa_response_status(r) != 206) {
    wa_response_free(r); /* a server that ignores Range would send the whole file */
    rc = WA_ENOTSUP;
  }
  if (rc == 0) {
    if (total) {
      cr = wa_response_header(r, "content-range"); /* "bytes a-b/size" */
      cr = cr ? strchr(cr, '/') : NULL;
      *total = cr ? strtoll(cr + 1, NULL, 10) : -1;
    }
    while (got < len && (n = wa_response_read(r, (char *)buf + got, (size_t)(len - got))) > 0) {
      got += n;
      st->bytes += n;
    }
    /* Read on to the end of the body (0): a response freed unfinished is
     * aborted, a cancelled request for the browser and more work for it. */
    if (n > 0 && (n = wa_response_read(r, &end, 1)) > 0) n = 0; /* a longer body than asked: ignored */
    wa_response_free(r);
  }
  st->read_offset = -1;
  st->read_length = 0;
  return rc != 0 ? rc : n < 0 ? n : got;
}

static int file_close(sqlite3_file *f) {
  free(((http_file *)f)->url);
  return SQLITE_OK;
}

static int file_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off) {
  http_file *h = (http_file *)f;
  long avail = off >= h->size ? 0 : (long)(h->size - off < amt ? h->size - off : amt);
  long got = 0;
  if (avail > 0) {
    got = range_get(h->url, off, avail, buf, NULL, &h->stats);
    if (got < 0) {
      h->last_error = (int)got;
      return SQLITE_IOERR_READ;
    }
  }
  if (got < amt) {
    memset((char *)buf + got, 0, (size_t)(amt - got)); /* SQLite's contract for short reads */
    return got == avail ? SQLITE_IOERR_SHORT_READ : SQLITE_IOERR_READ;
  }
  return SQLITE_OK;
}

static int file_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off) {
  (void)f, (void)buf, (void)amt, (void)off;
  return SQLITE_READONLY;
}

static int file_truncate(sqlite3_file *f, sqlite3_int64 size) {
  (void)f, (void)size;
  return SQLITE_READONLY;
}

static int file_sync(sqlite3_file *f, int flags) {
  (void)f, (void)flags;
  return SQLITE_OK;
}

static int file_size(sqlite3_file *f, sqlite3_int64 *size) {
  *size = ((http_file *)f)->size;
  return SQLITE_OK;
}

static int file_lock(sqlite3_file *f, int level) {
  (void)f, (void)level;
  return SQLITE_OK; /* immutable: nobody writes it */
}

static int file_check_reserved(sqlite3_file *f, int *out) {
  (void)f;
  *out = 0;
  return SQLITE_OK;
}

static int file_control(sqlite3_file *f, int op, void *arg) {
  (void)f, (void)op, (void)arg;
  return SQLITE_NOTFOUND;
}

static int file_sector_size(sqlite3_file *f) {
  (void)f;
  return 4096;
}

static int file_device(sqlite3_file *f) {
  (void)f;
  return SQLITE_IOCAP_IMMUTABLE;
}

static const sqlite3_io_methods http_methods = {
  1, file_close, file_read, file_write, file_truncate, file_sync, file_size,
  file_lock, file_lock, file_check_reserved, file_control, file_sector_size, file_device,
  NULL, NULL, NULL, NULL, NULL, NULL,
};

static sqlite3_vfs *parent(void) { return (sqlite3_vfs *)http_vfs.pAppData; }

/* The main database is the URL; it must be opened read-only. Its size
 * comes from the first request (the 100-byte header SQLite reads first is
 * then a cache hit at the server, nothing more). */
static int vfs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags) {
  http_file *h = (http_file *)f;
  char probe[1];
  long rc;
  (void)vfs;
  if (!(flags & SQLITE_OPEN_MAIN_DB)) return parent()->xOpen(parent(), name, f, flags, out_flags);
  f->pMethods = NULL; /* SQLite does not call xClose on a failed open */
  if (!name || (flags & SQLITE_OPEN_READWRITE)) return SQLITE_CANTOPEN;
  memset(h, 0, sizeof *h);
  h->stats.read_offset = -1;
  rc = range_get(name, 0, 1, probe, &h->size, &h->stats);
  if (rc < 0 || h->size < 0) return SQLITE_CANTOPEN;
  if (!(h->url = malloc(strlen(name) + 1))) return SQLITE_NOMEM;
  strcpy(h->url, name);
  if (out_flags) *out_flags = SQLITE_OPEN_READONLY;
  f->pMethods = &http_methods;
  return SQLITE_OK;
}

static int vfs_delete(sqlite3_vfs *vfs, const char *name, int sync_dir) {
  (void)vfs;
  return parent()->xDelete(parent(), name, sync_dir); /* temporary files only */
}

static int vfs_access(sqlite3_vfs *vfs, const char *name, int flags, int *out) {
  (void)vfs, (void)name, (void)flags;
  *out = 0; /* no journal, no WAL: the database is immutable */
  return SQLITE_OK;
}

static int vfs_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out) {
  (void)vfs;
  if ((int)strlen(name) >= n) return SQLITE_CANTOPEN;
  strcpy(out, name); /* a URL is already absolute */
  return SQLITE_OK;
}

static int vfs_randomness(sqlite3_vfs *vfs, int n, char *out) {
  (void)vfs;
  return parent()->xRandomness(parent(), n, out);
}

static int vfs_sleep(sqlite3_vfs *vfs, int us) {
  (void)vfs;
  return parent()->xSleep(parent(), us);
}

static int vfs_current_time(sqlite3_vfs *vfs, double *out) {
  (void)vfs;
  return parent()->xCurrentTime(parent(), out);
}

static int vfs_last_error(sqlite3_vfs *vfs, int n, char *out) {
  (void)vfs;
  return parent()->xGetLastError(parent(), n, out);
}

int http_vfs_register(void) {
  sqlite3_vfs *def;
  int rc = sqlite3_initialize();
  if (rc != SQLITE_OK) return rc;
  if (!(def = sqlite3_vfs_find(NULL))) return SQLITE_ERROR;
  http_vfs.iVersion = 1;
  http_vfs.szOsFile = def->szOsFile > (int)sizeof(http_file) ? def->szOsFile : (int)sizeof(http_file);
  http_vfs.mxPathname = 1024;
  http_vfs.zName = "http";
  http_vfs.pAppData = def;
  http_vfs.xOpen = vfs_open;
  http_vfs.xDelete = vfs_delete;
  http_vfs.xAccess = vfs_access;
  http_vfs.xFullPathname = vfs_full_pathname;
  http_vfs.xRandomness = vfs_randomness;
  http_vfs.xSleep = vfs_sleep;
  http_vfs.xCurrentTime = vfs_current_time;
  http_vfs.xGetLastError = vfs_last_error;
  return sqlite3_vfs_register(&http_vfs, 0);
}

/* db's main database file if this VFS opened it, else NULL. */
static http_file *file_of(sqlite3 *db) {
  sqlite3_file *f = NULL;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || !f) return NULL;
  return f->pMethods == &http_methods ? (http_file *)f : NULL;
}

int http_vfs_last_error(sqlite3 *db) {
  http_file *h = file_of(db);
  return h ? h->last_error : 0;
}

http_vfs_stats *http_vfs_stats_of(sqlite3 *db) {
  http_file *h = file_of(db);
  return h ? &h->stats : NULL;
}
