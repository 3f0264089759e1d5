/* tasks.c — the "many tasks" demo: every walker is a C task that loops on
 * wa_sleep() at its own pace and takes one step per wake-up. The page reads
 * the walkers' positions straight from wasm memory (walkers_state()) and
 * draws them; the buttons call spawn_walkers() and cancel_walkers(). */
#include <stdio.h>
#include <stdlib.h>
#include "wasync.h"

#define MAX_WALKERS 2000

/* Read by the page: 8 words per walker. */
typedef struct {
  float x, y;          /* position in [0, 1) */
  float dx, dy;        /* heading */
  int32_t hue;         /* colour, 0..359 */
  int32_t alive;       /* 1 from spawn until the task ends */
  int32_t period_ms;   /* its pace: one step every period_ms */
  int32_t steps;
} walker;

static walker walkers[MAX_WALKERS];
static wa_task *handles[MAX_WALKERS];
static uint32_t order[MAX_WALKERS]; /* spawn order, to cancel the newest first */
static uint32_t spawn_seq;
static uint32_t rng = 0x9e3779b9u;

static float rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return (float)(rng >> 8) / 16777216.0f;
}

static int walk(void *arg) {
  walker *w = arg;
  for (;;) {
    if (wa_sleep(w->period_ms) != 0) break; /* cancelled */
    w->dx += (rnd() - 0.5f) * 0.6f;
    w->dy += (rnd() - 0.5f) * 0.6f;
    float len = w->dx * w->dx + w->dy * w->dy;
    if (len > 1.0f) { w->dx *= 0.7f; w->dy *= 0.7f; }
    w->x += w->dx * 0.012f;
    w->y += w->dy * 0.012f;
    if (w->x < 0) { w->x = -w->x; w->dx = -w->dx; }
    if (w->x >= 1) { w->x = 1.999f - w->x; w->dx = -w->dx; }
    if (w->y < 0) { w->y = -w->y; w->dy = -w->dy; }
    if (w->y >= 1) { w->y = 1.999f - w->y; w->dy = -w->dy; }
    w->steps++;
  }
  int i = (int)(w - walkers);
  handles[i] = NULL;
  w->alive = 0;
  return 0;
}

/* Spawns up to n walkers with random paces; returns how many started. */
WA_EXPORT int spawn_walkers(int n) {
  int made = 0;
  for (int i = 0; i < MAX_WALKERS && made < n; i++) {
    if (walkers[i].alive || handles[i]) continue;
    walker *w = &walkers[i];
    w->x = 0.5f + (rnd() - 0.5f) * 0.2f;
    w->y = 0.5f + (rnd() - 0.5f) * 0.2f;
    w->dx = rnd() - 0.5f;
    w->dy = rnd() - 0.5f;
    w->period_ms = 16 + (int32_t)(rnd() * rnd() * 600);
    w->hue = (int32_t)(w->period_ms * 300 / 616);
    w->steps = 0;
    char name[32];
    snprintf(name, sizeof name, "walker %d (%d ms)", i, (int)w->period_ms);
    wa_task_opts opts = { name, 0 };
    wa_task *t = wa_spawn_opts(walk, w, &opts);
    if (!t) break;
    w->alive = 1;
    handles[i] = t;
    order[i] = ++spawn_seq;
    made++;
  }
  return made;
}

/* Cancels the n most recently spawned walkers; returns how many. Each ends
 * at its current wa_sleep() with WA_ECANCELED. */
WA_EXPORT int cancel_walkers(int n) {
  int done = 0;
  while (done < n) {
    int best = -1;
    for (int i = 0; i < MAX_WALKERS; i++) {
      if (walkers[i].alive && handles[i] && order[i] && (best < 0 || order[i] > order[best])) best = i;
    }
    if (best < 0) break;
    wa_cancel(handles[best]);
    wa_detach(handles[best]);
    order[best] = 0;
    done++;
  }
  return done;
}

WA_EXPORT walker *walkers_state(void) { return walkers; }
WA_EXPORT int walkers_capacity(void) { return MAX_WALKERS; }

int wa_main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 300;
  printf("tasks demo: %d walkers\n", spawn_walkers(n));
  return 0;
}
