/* native.h — entry point of the native host (tests and native demos). */
#ifndef WA_HOST_NATIVE_H
#define WA_HOST_NATIVE_H
#include "../host.h"

/* Runs fn(arg) as a task and drives the loop until it ends; *status gets its
 * status. 0, WA_ENOMEM, or WA__EDEADLK (host.h) after printing the report. */
int wa__native_run(wa_fn fn, void *arg, const wa_task_opts *opts, int *status);
#endif
