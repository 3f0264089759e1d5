/* native.h — entry point of the native host (tests and native demos). */
#ifndef WA_HOST_NATIVE_H
#define WA_HOST_NATIVE_H
#include "../host.h"

/* The deadlock code of wa__native_run (host.h's table). */
#define WA__NATIVE_DEADLOCK WA__EDEADLK

/* Runs fn(arg) as a task and drives the loop until it ends; *status gets its
 * status. 0, WA_ENOMEM, or WA__NATIVE_DEADLOCK after printing the report. */
int wa__native_run(wa_fn fn, void *arg, const wa_task_opts *opts, int *status);
#endif
