/* lua_tasks.c — Lua 5.4, built by its own `make posix CC="wasync cc"`,
 * running one script in many tasks at once (tests/js/lua.test.mjs).
 *
 *   lua_tasks <tasks> <base-url> <script>
 *
 * Each task gets its own lua_State with the globals ID (1..tasks) and BASE
 * (the test server's URL) and two C functions that are wasync awaits:
 *   sleep(ms)   wa_sleep;
 *   fetch(url)  wa_fetch, returns the body; an HTTP status other than 200
 *               or a network failure raises a Lua error (luaL_error, a
 *               longjmp taken after the await).
 * The script runs under lua_pcall, so every await is below a setjmp. Each
 * task prints "task <ID>: <the script's result>" (or "task <ID> failed:
 * <message>"); at the end the program prints "elapsed <ms>" measured with
 * wa_now from before the first spawn to after the last join, and returns
 * the number of failed tasks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasync.h>

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

typedef struct {
  int id;
  const char *base;
  const char *script;
  char *result; /* malloc'd; the script's result or the error message */
  int ok;
} job;

static int l_sleep(lua_State *L) {
  lua_Integer ms = luaL_checkinteger(L, 1);
  int rc = wa_sleep((int64_t)ms);
  if (rc != 0) return luaL_error(L, "sleep: %s", wa_strerror(rc));
  return 0;
}

static int l_fetch(lua_State *L) {
  const char *url = luaL_checkstring(L, 1);
  wa_response *r = NULL;
  int rc = wa_fetch(url, NULL, &r);
  if (rc != 0) return luaL_error(L, "fetch %s: %s", url, wa_strerror(rc));
  int status = wa_response_status(r);
  char *body = NULL;
  size_t len = 0;
  rc = wa_response_body(r, &body, &len);
  wa_response_free(r);
  if (rc != 0) return luaL_error(L, "fetch %s: %s", url, wa_strerror(rc));
  if (status != 200) {
    free(body);
    return luaL_error(L, "fetch %s: HTTP %d", url, status);
  }
  lua_pushlstring(L, body, len);
  free(body);
  return 1;
}

static int run_script(void *arg) {
  job *j = arg;
  lua_State *L = luaL_newstate();
  if (!L) {
    j->result = strdup("luaL_newstate failed");
    return 1;
  }
  luaL_openlibs(L);
  lua_register(L, "sleep", l_sleep);
  lua_register(L, "fetch", l_fetch);
  lua_pushinteger(L, j->id);
  lua_setglobal(L, "ID");
  lua_pushstring(L, j->base);
  lua_setglobal(L, "BASE");
  int rc = luaL_loadstring(L, j->script);
  if (rc == LUA_OK) rc = lua_pcall(L, 0, 1, 0);
  const char *s = lua_tostring(L, -1);
  j->result = strdup(s ? s : "(no string result)");
  j->ok = rc == LUA_OK;
  lua_close(L);
  return j->ok ? 0 : 1;
}

int wa_main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: lua_tasks <tasks> <base-url> <script>\n");
    return 2;
  }
  int n = atoi(argv[1]);
  job *jobs = calloc((size_t)n, sizeof *jobs);
  wa_task **tasks = calloc((size_t)n, sizeof *tasks);
  if (!jobs || !tasks) return 3;
  /* Lua's parser and interpreter recurse in C: more than the 64 KiB default. */
  wa_task_opts opts = {.name = "lua", .stack_size = 256 * 1024};
  int64_t t0 = wa_now();
  for (int i = 0; i < n; i++) {
    jobs[i] = (job){.id = i + 1, .base = argv[2], .script = argv[3]};
    tasks[i] = wa_spawn_opts(run_script, &jobs[i], &opts);
    if (!tasks[i]) return 3;
  }
  int failed = 0;
  for (int i = 0; i < n; i++) wa_join(tasks[i]);
  int64_t elapsed = wa_now() - t0;
  for (int i = 0; i < n; i++) {
    if (jobs[i].ok) {
      printf("task %d: %s\n", jobs[i].id, jobs[i].result);
    } else {
      printf("task %d failed: %s\n", jobs[i].id, jobs[i].result);
      failed++;
    }
    free(jobs[i].result);
  }
  printf("elapsed %lld\n", (long long)elapsed);
  free(jobs);
  free(tasks);
  return failed;
}
