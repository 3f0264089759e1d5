/* host.h — what the core needs from the event loop that drives it.
 * Implemented twice: src/host/js/host.js (browser and Node, as JS
 * imports) and src/host/native.c (a poll() loop for native tests).
 *
 * The host calls back into the core through the wa__host_* exports at the
 * bottom: it never schedules tasks itself, it only reports events. */
#ifndef WA_HOST_H
#define WA_HOST_H

#include <stdint.h>

/* Monotonic milliseconds (fractional). */
double wa__host_now(void);
/* Arms the host's single timer for an absolute wa__host_now() deadline
 * (fractional: the host wakes as close after it as it can, never before),
 * replacing any earlier one; once the clock reaches it the host calls
 * wa__host_timer_fired(now), once. A host that must wait in parts (both
 * wait at most 2^31-1 ms at a time, setTimeout's limit) waits again itself
 * without calling the core. */
void wa__host_timer_arm(double deadline);
void wa__host_timer_disarm(void);
/* Asks the host to call wa__host_tick() soon, once: from a microtask if
 * yield_to_host is 0, after the host's own pending work (rendering, I/O)
 * if 1. Extra requests before that call are merged. */
void wa__host_request_tick(int yield_to_host);
/* A task started by the host (token != 0) finished with status. */
void wa__host_task_done(uint32_t token, int status);

/* ---- called by the host ---------------------------------------------------- */

/* Each callback gets now, the host's wa__host_now() reading for it: the
 * core reads the clock again only inside a long time slice. */

/* Runs ready tasks (a time slice); returns the number of live tasks. */
int wa__host_tick(double now);
/* The host timer's deadline has come: runs due timers, then, in the same
 * call, the tasks they woke (no tick is requested for them). */
void wa__host_timer_fired(double now);
/* Starts wa_main(argc, argv) as task "main"; argv is copied. The host calls
 * wa__host_tick() right after (this call requests no tick). Its end is
 * reported with wa__host_task_done(token, status). 0, WA_ENOMEM, or
 * WA_ENOTSUP if the module is a library (it defines no wa_main). */
int wa__host_start_main(int argc, char **argv, uint32_t token);
/* Prints the deadlock report ("wasync: deadlock: N tasks blocked" and one
 * line per task) to stderr. */
void wa__host_report_deadlock(void);

#endif /* WA_HOST_H */
