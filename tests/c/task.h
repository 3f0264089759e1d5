/* task.h — the C test framework (after libuv's test/task.h).
 *
 * TEST_IMPL(name) defines a test that runs inside wasync's main task and
 * passes by returning 0 with no other task or timer left alive.
 * TEST_DEATH(name, exit_code, "text") defines one whose process must exit
 * with exit_code and print text to stderr (deadlocks, overflows).
 * Every test runs in a process of its own, natively and as wasm. */
#ifndef WA_TEST_TASK_H
#define WA_TEST_TASK_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wasync.h"

#define TEST_IMPL(name) int test_##name(void)
#define TEST_DEATH(name, code, text) int test_##name(void)

#define WA_TEST_FAIL_(...)                                         \
  do {                                                             \
    fflush(stdout);                                                \
    fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                \
    fprintf(stderr, __VA_ARGS__);                                  \
    fputc('\n', stderr);                                           \
    fflush(stderr);                                                \
    exit(1);                                                       \
  } while (0)

#define ASSERT(expr)                                               \
  do {                                                             \
    if (!(expr)) WA_TEST_FAIL_("ASSERT(%s) failed", #expr);        \
  } while (0)

#define ASSERT_CMP_(a, op, b)                                                        \
  do {                                                                               \
    long long a_ = (long long)(a), b_ = (long long)(b);                              \
    if (!(a_ op b_))                                                                 \
      WA_TEST_FAIL_("ASSERT(%s %s %s) failed: %lld vs %lld", #a, #op, #b, a_, b_);   \
  } while (0)

#define ASSERT_EQ(a, b) ASSERT_CMP_(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_CMP_(a, !=, b)
#define ASSERT_LT(a, b) ASSERT_CMP_(a, <, b)
#define ASSERT_LE(a, b) ASSERT_CMP_(a, <=, b)
#define ASSERT_GT(a, b) ASSERT_CMP_(a, >, b)
#define ASSERT_GE(a, b) ASSERT_CMP_(a, >=, b)

#define ASSERT_STR_EQ(a, b)                                                          \
  do {                                                                               \
    const char *a_ = (a), *b_ = (b);                                                 \
    if (strcmp(a_, b_) != 0)                                                         \
      WA_TEST_FAIL_("ASSERT_STR_EQ(%s, %s) failed: \"%s\" vs \"%s\"", #a, #b, a_, b_); \
  } while (0)

#define ASSERT_ERR(expr, code) /* compares two WA_E* codes by name */               \
  do {                                                                               \
    int e_ = (expr), c_ = (code);                                                    \
    if (e_ != c_)                                                                    \
      WA_TEST_FAIL_("%s returned %s (%d), expected %s", #expr, wa_err_name(e_), e_,  \
                    wa_err_name(c_));                                                \
  } while (0)

/* A trace of events, for asserting orders: trace_add("a1"); ASSERT_STR_EQ(trace, "a1 b1"). */
extern char trace[4096];
void trace_add(const char *fmt, ...);
void trace_reset(void);

#endif
