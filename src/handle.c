/* handle.c — the table behind public task handles (wa_task *).
 *
 * Public handles are numbers, not pointers, so a handle that was already
 * joined, or a task freed after detaching, is recognised and rejected with
 * WA_EINVAL instead of touching freed memory. Handles are issued in
 * sequence, so a value comes back only after 2^32 - 1 further spawns (one
 * whose slot is taken is skipped); a table (open addressing, linear
 * probing, keyed by the handle's low bits: see handle_home) maps
 * them to live tasks. It grows with the tasks alive at once and shrinks back
 * as they end, so a long run of spawns, or a burst, leaves it flat. */
#include <stdlib.h>
#include "internal.h"

typedef struct {
  uint32_t handle; /* 0: empty */
  wa__task *task;
} handle_entry;

static handle_entry *handles;
static uint32_t handle_mask, handle_len; /* capacity - 1 (0: none yet), entries in use */
static uint32_t handle_displaced;         /* entries not in their home slot (after a shrink) */
static uint32_t last_handle;

/* Handle h's home slot: its low bits. A new handle is the next number of
 * the sequence whose home slot is free (handle_alloc skips the others), so
 * a task's entry sits at its home and a lookup, a spawn or a join touches
 * one slot, next to its neighbours': a hash would scatter consecutive
 * handles over the table, a cache miss each (spawn+join twice as slow).
 * Probing is left for the entries a shrink (handle_fit) displaced. */
static uint32_t handle_home(uint32_t h) { return h & handle_mask; }

/* The entry for handle h (non-zero), or the empty one where it would go. */
static handle_entry *handle_find(uint32_t h) {
  uint32_t i = handle_home(h);
  while (handles[i].handle && handles[i].handle != h) i = (i + 1) & handle_mask;
  return &handles[i];
}

/* Rehashes the table into cap entries (a power of two, at least twice the
 * entries in use); WA_ENOMEM, the table unchanged, if it cannot. */
static int handle_resize(uint32_t cap) {
  uint32_t old = handles ? handle_mask + 1 : 0;
  handle_entry *old_tab = handles, *tab;
  /* calloc checks cap * sizeof *tab */
  if (cap > ((uint32_t)1 << 30) || !(tab = calloc(cap, sizeof *tab))) return WA_ENOMEM;
  handles = tab;
  handle_mask = cap - 1;
  handle_displaced = 0;
  for (uint32_t i = 0; i < old; i++) {
    if (!old_tab[i].handle) continue;
    handle_entry *e = handle_find(old_tab[i].handle);
    *e = old_tab[i];
    handle_displaced += (uint32_t)(e - handles) != handle_home(e->handle);
  }
  free(old_tab);
  return 0;
}

/* Doubles the table (256 entries at first). */
static int handle_grow(void) { return handle_resize(handles ? (handle_mask + 1) * 2 : 256); }

/* Gives back what a burst of tasks grew the table to: the smallest size,
 * 256 entries at least, that is at most a quarter full (not half, so that
 * a count going up and down around a size does not rehash back and
 * forth). A failed allocation keeps the larger table. */
static void handle_fit(void) {
  uint32_t cap = 256;
  while ((handle_len + 1) * 4 > cap) cap *= 2;
  if (handles && cap < handle_mask + 1) (void)handle_resize(cap);
}

int wa__handle_alloc(wa__task *t) {
  handle_entry *e;
  uint32_t h;
  /* at most half full: probes stay short, and an empty entry always exists */
  if ((handle_len + 1) * 2 > (handles ? handle_mask + 1 : 0) && handle_grow() < 0) return WA_ENOMEM;
  do {
    h = ++last_handle;
  } while (h == 0 || handles[handle_home(h)].handle || (e = handle_find(h))->handle);
  e->handle = h;
  e->task = t;
  handle_len++;
  t->handle = h;
  return 0;
}

/* Removes t's entry. While every entry sits in its home slot (always, but
 * after a shrink that displaced some) that is all; else later entries of
 * its probe run move back so that every lookup still finds its entry
 * before an empty one. */
static void handle_remove(wa__task *t) {
  handle_entry *e = handle_find(t->handle);
  uint32_t i = (uint32_t)(e - handles), j = i;
  t->handle = 0;
  handle_len--;
  if (i != handle_home(e->handle)) handle_displaced--;
  if (!handle_displaced) {
    e->handle = 0;
    return;
  }
  for (;;) {
    handles[i].handle = 0;
    for (;;) {
      uint32_t home;
      j = (j + 1) & handle_mask;
      if (!handles[j].handle) return;
      home = handle_home(handles[j].handle);
      /* j's entry may move to i unless its home lies cyclically in (i, j] */
      if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) break;
    }
    handles[i] = handles[j];
    if (i == handle_home(handles[i].handle)) handle_displaced--;
    i = j;
  }
}

/* A table that a burst of tasks grew and that is now a sixteenth full
 * shrinks back (handle_fit), so memory follows the tasks alive, whichever
 * backend ends them and whenever. */
void wa__handle_release(wa__task *t) {
  handle_remove(t);
  if (handle_mask + 1 > 256 && handle_len * 16 <= handle_mask + 1) handle_fit();
}

wa__task *wa__task_from_handle(const wa_task *h) {
  uintptr_t v = (uintptr_t)h;
  handle_entry *e;
  if (v == 0 || v >> 16 >> 16 || !handles) return NULL; /* 0, or wider than a handle */
  e = handle_find((uint32_t)v);
  return e->handle ? e->task : NULL;
}

wa_task *wa__task_handle(const wa__task *t) { return (wa_task *)(uintptr_t)t->handle; }

uint32_t wa__task_slots(void) { return handles ? handle_mask + 1 : 0; }
