/* wa_select: ready cases, fairness, parking on several channels, close,
 * cancellation and timeouts. */
#include "task.h"

typedef struct {
  wa_chan *c;
  int value;
  int rc;
} sel_job;

static int send_value(void *arg) {
  sel_job *j = arg;
  j->rc = wa_chan_send(j->c, &j->value);
  return 0;
}

static int recv_value(void *arg) {
  sel_job *j = arg;
  j->rc = wa_chan_recv(j->c, &j->value);
  return 0;
}

TEST_IMPL(select_performs_the_only_ready_case) {
  wa_chan *a = wa_chan_new(sizeof(int), 1), *b = wa_chan_new(sizeof(int), 1);
  int in = 4, out = 0;
  ASSERT_EQ(wa_chan_send(b, &in), 0);
  wa_select_case cs[2] = {{a, 0, &out}, {b, 0, &out}};
  ASSERT_EQ(wa_select(cs, 2), 1);
  ASSERT_EQ(out, 4);
  ASSERT_EQ(wa_select_result(), 0);
  wa_chan_free(a);
  wa_chan_free(b);
  return 0;
}

TEST_IMPL(select_send_case_fills_buffer) {
  wa_chan *full = wa_chan_new(sizeof(int), 0), *b = wa_chan_new(sizeof(int), 1);
  int v = 9, out = 0;
  wa_select_case cs[2] = {{full, 1, &v}, {b, 1, &v}};
  ASSERT_EQ(wa_select(cs, 2), 1);
  ASSERT_EQ(wa_chan_try_recv(b, &out), 0);
  ASSERT_EQ(out, 9);
  wa_chan_free(full);
  wa_chan_free(b);
  return 0;
}

TEST_IMPL(select_picks_every_ready_case_fairly) {
  wa_chan *a = wa_chan_new(sizeof(int), 1), *b = wa_chan_new(sizeof(int), 1);
  int hits[2] = {0, 0}, v = 1, out;
  wa_select_case cs[2] = {{a, 0, &out}, {b, 0, &out}};
  for (int i = 0; i < 1000; i++) {
    /* Keep both always ready: refill whichever was consumed. */
    (void)wa_chan_try_send(a, &v);
    (void)wa_chan_try_send(b, &v);
    int k = wa_select(cs, 2);
    ASSERT(k == 0 || k == 1);
    hits[k]++;
  }
  ASSERT_GT(hits[0], 350);
  ASSERT_GT(hits[1], 350);
  wa_chan_free(a);
  wa_chan_free(b);
  return 0;
}

TEST_IMPL(select_parks_until_a_sender_arrives) {
  wa_chan *a = wa_chan_new(sizeof(int), 0), *b = wa_chan_new(sizeof(int), 0);
  sel_job j = {b, 33, -1};
  wa_task *t = wa_spawn(send_value, &j);
  int out = 0;
  wa_select_case cs[2] = {{a, 0, &out}, {b, 0, &out}};
  ASSERT_EQ(wa_select(cs, 2), 1);
  ASSERT_EQ(out, 33);
  ASSERT_EQ(wa_join(t), 0);
  ASSERT_EQ(j.rc, 0);
  wa_chan_free(a);
  wa_chan_free(b);
  return 0;
}

TEST_IMPL(select_send_case_hands_to_late_receiver) {
  wa_chan *a = wa_chan_new(sizeof(int), 0), *b = wa_chan_new(sizeof(int), 0);
  sel_job j = {a, 0, -1};
  wa_task *t = wa_spawn(recv_value, &j);
  int v = 21, out = 0;
  wa_select_case cs[2] = {{a, 1, &v}, {b, 0, &out}};
  ASSERT_EQ(wa_select(cs, 2), 0);
  ASSERT_EQ(wa_join(t), 0);
  ASSERT_EQ(j.rc, 0);
  ASSERT_EQ(j.value, 21);
  wa_chan_free(a);
  wa_chan_free(b);
  return 0;
}

static int select_two(void *arg) {
  wa_chan **cs2 = arg;
  int out = -1;
  wa_select_case cs[2] = {{cs2[0], 0, &out}, {cs2[1], 0, &out}};
  int k = wa_select(cs, 2);
  trace_add("k=%d v=%d", k, out);
  return k;
}

TEST_IMPL(select_completes_exactly_one_case) {
  wa_chan *ch[2] = {wa_chan_new(sizeof(int), 0), wa_chan_new(sizeof(int), 0)};
  wa_task *t = wa_spawn(select_two, ch);
  int v = 5;
  trace_reset();
  ASSERT_EQ(wa_yield(), 0);
  ASSERT_EQ(wa_chan_try_send(ch[0], &v), 0);
  v = 6;
  /* The select's node on the other channel was removed when it woke. */
  ASSERT_ERR(wa_chan_try_send(ch[1], &v), WA_EAGAIN);
  ASSERT_EQ(wa_join(t), 0);
  ASSERT_STR_EQ(trace, "k=0 v=5");
  wa_chan_free(ch[0]);
  wa_chan_free(ch[1]);
  return 0;
}

TEST_IMPL(select_on_closed_channel_reports_eclosed) {
  wa_chan *a = wa_chan_new(sizeof(int), 0), *b = wa_chan_new(sizeof(int), 0);
  int out = 123;
  wa_chan_close(b);
  wa_select_case cs[2] = {{a, 0, &out}, {b, 0, &out}};
  ASSERT_EQ(wa_select(cs, 2), 1);
  ASSERT_ERR(wa_select_result(), WA_ECLOSED);
  ASSERT_EQ(out, 0); /* zero-filled, like Go's v, ok := <-c */
  wa_chan_free(a);
  wa_chan_free(b);
  return 0;
}

static int select_recv_one(void *arg) {
  wa_chan **cs2 = arg;
  int out = 55;
  wa_select_case cs[2] = {{cs2[0], 0, &out}, {cs2[1], 1, &out}};
  int k = wa_select(cs, 2);
  trace_add("k=%d r=%s v=%d", k, wa_err_name(wa_select_result()), out);
  return 0;
}

TEST_IMPL(select_parked_wakes_on_close) {
  wa_chan *ch[2] = {wa_chan_new(sizeof(int), 0), wa_chan_new(sizeof(int), 0)};
  wa_task *t = wa_spawn(select_recv_one, ch);
  trace_reset();
  ASSERT_EQ(wa_yield(), 0);
  wa_chan_close(ch[0]);
  ASSERT_EQ(wa_join(t), 0);
  ASSERT_STR_EQ(trace, "k=0 r=WA_ECLOSED v=0");
  wa_chan_free(ch[0]);
  wa_chan_free(ch[1]);
  return 0;
}

TEST_IMPL(select_send_case_on_closed_channel_is_eclosed) {
  wa_chan *c = wa_chan_new(sizeof(int), 4);
  int v = 1;
  wa_chan_close(c);
  wa_select_case cs[1] = {{c, 1, &v}};
  ASSERT_EQ(wa_select(cs, 1), 0);
  ASSERT_ERR(wa_select_result(), WA_ECLOSED);
  wa_chan_free(c);
  return 0;
}

TEST_IMPL(select_in_timeout_scope_returns_etimedout) {
  wa_chan *a = wa_chan_new(sizeof(int), 0), *b = wa_chan_new(sizeof(int), 0);
  int out = 0, v = 1;
  wa_timeout to;
  wa_select_case cs[2] = {{a, 0, &out}, {b, 1, &v}};
  wa_timeout_begin(&to, 10);
  ASSERT_ERR(wa_select(cs, 2), WA_ETIMEDOUT);
  ASSERT_EQ(wa_timeout_end(&to), 1);
  /* Both nodes were removed: nothing is left waiting on either channel. */
  ASSERT_ERR(wa_chan_try_send(a, &v), WA_EAGAIN);
  ASSERT_ERR(wa_chan_try_recv(b, &out), WA_EAGAIN);
  wa_chan_free(a);
  wa_chan_free(b);
  return 0;
}

static int select_forever(void *arg) {
  wa_chan **cs2 = arg;
  int out = 0, v = 1;
  wa_select_case cs[2] = {{cs2[0], 0, &out}, {cs2[1], 1, &v}};
  return wa_select(cs, 2);
}

TEST_IMPL(select_is_cancellable) {
  wa_chan *ch[2] = {wa_chan_new(sizeof(int), 0), wa_chan_new(sizeof(int), 0)};
  wa_task *t = wa_spawn(select_forever, ch);
  int v = 1;
  ASSERT_EQ(wa_yield(), 0);
  wa_cancel(t);
  ASSERT_ERR(wa_join(t), WA_ECANCELED);
  ASSERT_ERR(wa_chan_try_send(ch[0], &v), WA_EAGAIN);
  ASSERT_ERR(wa_chan_try_recv(ch[1], &v), WA_EAGAIN);
  wa_chan_free(ch[0]);
  wa_chan_free(ch[1]);
  return 0;
}

TEST_IMPL(select_over_many_cases_parks_on_all) {
  enum { N = 12 };
  wa_chan *ch[N];
  int out = -1;
  wa_select_case cs[N];
  for (int i = 0; i < N; i++) {
    ch[i] = wa_chan_new(sizeof(int), 0);
    cs[i] = (wa_select_case){ch[i], 0, &out};
  }
  sel_job j = {ch[N - 1], 99, -1};
  wa_task *t = wa_spawn(send_value, &j);
  ASSERT_EQ(wa_select(cs, N), N - 1);
  ASSERT_EQ(out, 99);
  ASSERT_EQ(wa_join(t), 0);
  for (int i = 0; i < N; i++) wa_chan_free(ch[i]);
  return 0;
}

TEST_IMPL(select_invalid_arguments_are_einval) {
  wa_chan *c = wa_chan_new(sizeof(int), 1);
  int v = 0;
  wa_select_case bad[2] = {{c, 0, &v}, {NULL, 0, &v}};
  ASSERT_ERR(wa_select(bad, 2), WA_EINVAL);
  ASSERT_ERR(wa_select(NULL, 1), WA_EINVAL);
  ASSERT_ERR(wa_select(bad, 0), WA_EINVAL);
  wa_chan_free(c);
  return 0;
}

TEST_IMPL(select_with_pending_cancel_returns_ecanceled) {
  wa_chan *c = wa_chan_new(sizeof(int), 1);
  int v = 1;
  wa_select_case cs[1] = {{c, 1, &v}};
  wa_cancel(wa_current());
  ASSERT_ERR(wa_select(cs, 1), WA_ECANCELED); /* even though it was ready */
  ASSERT_EQ(wa_select(cs, 1), 0);
  wa_chan_free(c);
  return 0;
}

TEST_IMPL(select_parked_wakes_when_channel_freed) {
  wa_chan *ch[2] = {wa_chan_new(sizeof(int), 0), wa_chan_new(sizeof(int), 0)};
  wa_task *t = wa_spawn(select_recv_one, ch);
  int v = 1;
  trace_reset();
  ASSERT_EQ(wa_yield(), 0);
  wa_chan_free(ch[0]); /* the select must not touch ch[0] after waking */
  ASSERT_EQ(wa_join(t), 0);
  ASSERT_STR_EQ(trace, "k=0 r=WA_ECLOSED v=0");
  ASSERT_ERR(wa_chan_try_recv(ch[1], &v), WA_EAGAIN); /* its send node is gone */
  wa_chan_free(ch[1]);
  return 0;
}

static int select_three_forever(void *arg) {
  wa_chan **ch = arg;
  int a = 0, b = 0, v = 7;
  wa_select_case cs[3] = {{ch[0], 0, &a}, {ch[1], 1, &v}, {ch[2], 0, &b}};
  return wa_select(cs, 3);
}

static void expect_no_waiter_on_three(wa_chan **ch) {
  int v = 5;
  ASSERT_ERR(wa_chan_try_send(ch[0], &v), WA_EAGAIN); /* no receiver left */
  ASSERT_ERR(wa_chan_try_recv(ch[1], &v), WA_EAGAIN); /* no sender left */
  ASSERT_ERR(wa_chan_try_send(ch[2], &v), WA_EAGAIN);
}

/* The scheduler ends an interrupted wait by unlinking every node the task
 * carries: a select cancelled while parked on three channels (one of them
 * a send case) is linked on none of them, so later operations on each
 * neither complete it nor touch its dead stack. */
TEST_IMPL(select_cancelled_on_three_channels_leaves_no_node_in_any) {
  wa_chan *ch[3] = {wa_chan_new(sizeof(int), 0), wa_chan_new(sizeof(int), 0), wa_chan_new(sizeof(int), 0)};
  wa_task *t = wa_spawn(select_three_forever, ch);
  ASSERT_EQ(wa_yield(), 0);
  wa_cancel(t);
  ASSERT_ERR(wa_join(t), WA_ECANCELED);
  expect_no_waiter_on_three(ch);
  for (int i = 0; i < 3; i++) wa_chan_free(ch[i]);
  return 0;
}

static int select_three_with_timeout(void *arg) {
  wa_timeout to;
  int rc;
  wa_timeout_begin(&to, 5);
  rc = select_three_forever(arg);
  ASSERT_EQ(wa_timeout_end(&to), 1);
  return rc;
}

TEST_IMPL(select_timed_out_on_three_channels_leaves_no_node_in_any) {
  wa_chan *ch[3] = {wa_chan_new(sizeof(int), 0), wa_chan_new(sizeof(int), 0), wa_chan_new(sizeof(int), 0)};
  wa_task *t = wa_spawn(select_three_with_timeout, ch);
  ASSERT_ERR(wa_join(t), WA_ETIMEDOUT);
  expect_no_waiter_on_three(ch);
  for (int i = 0; i < 3; i++) wa_chan_free(ch[i]);
  return 0;
}

/* Woken by one case, a select is unlinked from the other channels before
 * it runs again: a second sender on another channel waits for a receiver
 * instead of completing the finished select. */
TEST_IMPL(select_completed_by_one_channel_leaves_no_node_in_the_others) {
  wa_chan *ch[3] = {wa_chan_new(sizeof(int), 0), wa_chan_new(sizeof(int), 0), wa_chan_new(sizeof(int), 0)};
  wa_task *t = wa_spawn(select_three_forever, ch);
  int v = 9;
  ASSERT_EQ(wa_yield(), 0);
  ASSERT_EQ(wa_chan_try_send(ch[2], &v), 0); /* completes case 2 */
  ASSERT_EQ(wa_join(t), 2);
  expect_no_waiter_on_three(ch);
  for (int i = 0; i < 3; i++) wa_chan_free(ch[i]);
  return 0;
}
