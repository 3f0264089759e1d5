/* zlib_tasks.c — zlib, built by its own `./configure --static && make`
 * with CC="wasync cc", inflating gzip bodies fetched by several tasks at
 * once (tests/js/lua.test.mjs).
 *
 *   zlib_tasks <tasks> <base-url>
 *
 * Task i (1..tasks) fetches <base-url>/gz/<i> and streams the body through
 * inflate() in small reads (wa_response_read awaits between them, while the
 * other tasks inflate theirs), then prints
 *   "gz <i>: <inflated bytes> <crc32 of the inflated bytes, hex>"
 * or "gz <i> failed: <why>". Returns the number of failed tasks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasync.h>
#include <zlib.h>

typedef struct {
  int id;
  const char *base;
  unsigned long crc;
  unsigned long total;
  char why[128];
} job;

static int inflate_body(void *arg) {
  job *j = arg;
  char url[512];
  snprintf(url, sizeof url, "%s/gz/%d", j->base, j->id);
  wa_response *r = NULL;
  int rc = wa_fetch(url, NULL, &r);
  if (rc != 0) {
    snprintf(j->why, sizeof j->why, "fetch: %s", wa_strerror(rc));
    return 1;
  }
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) { /* 16: gzip wrapper */
    wa_response_free(r);
    snprintf(j->why, sizeof j->why, "inflateInit2 failed");
    return 1;
  }
  unsigned char in[1024], out[4096];
  j->crc = crc32(0L, Z_NULL, 0);
  int zrc = Z_OK;
  long got;
  while (zrc != Z_STREAM_END && (got = wa_response_read(r, in, sizeof in)) > 0) {
    zs.next_in = in;
    zs.avail_in = (uInt)got;
    while (zs.avail_in > 0 && zrc != Z_STREAM_END) {
      zs.next_out = out;
      zs.avail_out = sizeof out;
      zrc = inflate(&zs, Z_NO_FLUSH);
      if (zrc != Z_OK && zrc != Z_STREAM_END) {
        snprintf(j->why, sizeof j->why, "inflate: %d (%s)", zrc, zs.msg ? zs.msg : "");
        inflateEnd(&zs);
        wa_response_free(r);
        return 1;
      }
      size_t made = sizeof out - zs.avail_out;
      j->crc = crc32(j->crc, out, (uInt)made);
      j->total += made;
    }
  }
  inflateEnd(&zs);
  wa_response_free(r);
  if (zrc != Z_STREAM_END) {
    snprintf(j->why, sizeof j->why, "body ended before the gzip stream (%lu bytes out)", j->total);
    return 1;
  }
  return 0;
}

int wa_main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: zlib_tasks <tasks> <base-url>\n");
    return 2;
  }
  int n = atoi(argv[1]);
  job *jobs = calloc((size_t)n, sizeof *jobs);
  wa_task **tasks = calloc((size_t)n, sizeof *tasks);
  if (!jobs || !tasks) return 3;
  for (int i = 0; i < n; i++) {
    jobs[i] = (job){.id = i + 1, .base = argv[2]};
    tasks[i] = wa_spawn(inflate_body, &jobs[i]);
    if (!tasks[i]) return 3;
  }
  int failed = 0;
  for (int i = 0; i < n; i++) {
    if (wa_join(tasks[i]) == 0) {
      printf("gz %d: %lu %08lx\n", jobs[i].id, jobs[i].total, jobs[i].crc);
    } else {
      printf("gz %d failed: %s\n", jobs[i].id, jobs[i].why);
      failed++;
    }
  }
  free(jobs);
  free(tasks);
  return failed;
}
