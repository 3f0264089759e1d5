/* native.h — entry point of the native host (tests and native demos). */
#ifndef WA_HOST_NATIVE_H
#define WA_HOST_NATIVE_H
#include "wasync.h"

#define WA__NATIVE_DEADLOCK (-100)

/* Runs fn(arg) as a task and drives the loop until it ends; *status gets its
 * status. 0, WA_ENOMEM, or WA__NATIVE_DEADLOCK after printing the report. */
int wa__native_run(wa_fn fn, void *arg, const wa_task_opts *opts, int *status);
#endif
