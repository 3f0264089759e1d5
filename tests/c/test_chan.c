/* Channels: rendezvous and buffered transfer, FIFO order, close, try_. */
#include "task.h"

typedef struct {
  wa_chan *c;
  int from, count;
  int rc;
} chan_job;

static int send_range(void *arg) {
  chan_job *j = arg;
  for (int i = j->from; i < j->from + j->count; i++) {
    int v = i;
    j->rc = wa_chan_send(j->c, &v);
    if (j->rc) return j->rc;
  }
  return 0;
}

static int recv_one_traced(void *arg) {
  chan_job *j = arg;
  int v = -1;
  j->rc = wa_chan_recv(j->c, &v);
  trace_add("%d:%d", j->from, v);
  return 0;
}

TEST_IMPL(chan_rendezvous_hands_value_to_receiver) {
  wa_chan *c = wa_chan_new(sizeof(int), 0);
  chan_job j = {c, 41, 1, 0};
  wa_task *t = wa_spawn(send_range, &j);
  int v = 0;
  ASSERT_EQ(wa_chan_recv(c, &v), 0);
  ASSERT_EQ(v, 41);
  ASSERT_EQ(wa_join(t), 0);
  wa_chan_free(c);
  return 0;
}

static int recv_into_stack(void *arg) {
  chan_job *j = arg;
  int v = 0;
  j->rc = wa_chan_recv(j->c, &v); /* the sender writes into this local */
  return v;
}

TEST_IMPL(chan_rendezvous_sender_copies_into_parked_receiver) {
  wa_chan *c = wa_chan_new(sizeof(int), 0);
  chan_job j = {c, 0, 0, -1};
  wa_task *t = wa_spawn(recv_into_stack, &j);
  int v = 77;
  ASSERT_EQ(wa_yield(), 0); /* the receiver parks first */
  ASSERT_EQ(wa_chan_send(c, &v), 0);
  v = 0; /* the value was copied at send time, not read later */
  ASSERT_EQ(wa_join(t), 77);
  ASSERT_EQ(j.rc, 0);
  wa_chan_free(c);
  return 0;
}

TEST_IMPL(chan_rendezvous_send_blocks_until_received) {
  wa_chan *c = wa_chan_new(sizeof(int), 0);
  chan_job j = {c, 1, 1, -1};
  wa_task *t = wa_spawn(send_range, &j);
  int v = 0;
  ASSERT_EQ(wa_sleep(5), 0);
  ASSERT_EQ(j.rc, -1); /* still parked: nobody received */
  ASSERT_EQ(wa_chan_recv(c, &v), 0);
  ASSERT_EQ(wa_join(t), 0);
  ASSERT_EQ(j.rc, 0);
  wa_chan_free(c);
  return 0;
}

TEST_IMPL(chan_buffered_keeps_fifo_order) {
  wa_chan *c = wa_chan_new(sizeof(int), 4);
  chan_job j = {c, 100, 50, 0};
  wa_task *t = wa_spawn(send_range, &j);
  for (int i = 0; i < 50; i++) {
    int v = -1;
    ASSERT_EQ(wa_chan_recv(c, &v), 0);
    ASSERT_EQ(v, 100 + i);
  }
  ASSERT_EQ(wa_join(t), 0);
  wa_chan_free(c);
  return 0;
}

TEST_IMPL(chan_buffered_send_does_not_block_until_full) {
  wa_chan *c = wa_chan_new(sizeof(int), 3);
  for (int i = 0; i < 3; i++) ASSERT_EQ(wa_chan_send(c, &i), 0);
  int v = 9;
  ASSERT_ERR(wa_chan_try_send(c, &v), WA_EAGAIN);
  for (int i = 0; i < 3; i++) {
    ASSERT_EQ(wa_chan_recv(c, &v), 0);
    ASSERT_EQ(v, i);
  }
  wa_chan_free(c);
  return 0;
}

TEST_IMPL(chan_elements_are_copied_by_size) {
  typedef struct { char s[24]; double d; } big;
  wa_chan *c = wa_chan_new(sizeof(big), 2);
  big a = {"hello", 2.5}, b;
  ASSERT_EQ(wa_chan_send(c, &a), 0);
  strcpy(a.s, "changed");
  ASSERT_EQ(wa_chan_recv(c, &b), 0);
  ASSERT_STR_EQ(b.s, "hello");
  ASSERT(b.d == 2.5);
  wa_chan_free(c);
  return 0;
}

TEST_IMPL(chan_receivers_are_served_fifo) {
  wa_chan *c = wa_chan_new(sizeof(int), 0);
  chan_job js[3] = {{c, 0, 0, 0}, {c, 1, 0, 0}, {c, 2, 0, 0}};
  wa_task *ts[3];
  trace_reset();
  for (int i = 0; i < 3; i++) ts[i] = wa_spawn(recv_one_traced, &js[i]);
  ASSERT_EQ(wa_yield(), 0);
  for (int v = 10; v < 13; v++) ASSERT_EQ(wa_chan_send(c, &v), 0);
  ASSERT_EQ(wa_join_all(ts, 3), 0);
  ASSERT_STR_EQ(trace, "0:10 1:11 2:12");
  wa_chan_free(c);
  return 0;
}

TEST_IMPL(chan_senders_are_served_fifo) {
  wa_chan *c = wa_chan_new(sizeof(int), 1);
  chan_job js[3] = {{c, 10, 1, 0}, {c, 20, 1, 0}, {c, 30, 1, 0}};
  wa_task *ts[3];
  int v, zero = 0;
  ASSERT_EQ(wa_chan_send(c, &zero), 0); /* fill the buffer so they all park */
  for (int i = 0; i < 3; i++) ts[i] = wa_spawn(send_range, &js[i]);
  ASSERT_EQ(wa_yield(), 0);
  for (int want = 0; want <= 30; want += 10) {
    ASSERT_EQ(wa_chan_recv(c, &v), 0);
    ASSERT_EQ(v, want);
  }
  ASSERT_EQ(wa_join_all(ts, 3), 0);
  wa_chan_free(c);
  return 0;
}

TEST_IMPL(chan_close_wakes_parked_senders_with_eclosed) {
  wa_chan *c = wa_chan_new(sizeof(int), 0);
  chan_job js[2] = {{c, 1, 1, 0}, {c, 2, 1, 0}};
  wa_task *ts[2] = {wa_spawn(send_range, &js[0]), wa_spawn(send_range, &js[1])};
  ASSERT_EQ(wa_yield(), 0);
  wa_chan_close(c);
  ASSERT_ERR(wa_join(ts[0]), WA_ECLOSED);
  ASSERT_ERR(wa_join(ts[1]), WA_ECLOSED);
  int v = 3;
  ASSERT_ERR(wa_chan_send(c, &v), WA_ECLOSED);
  wa_chan_free(c);
  return 0;
}

TEST_IMPL(chan_close_wakes_parked_receivers_with_eclosed) {
  wa_chan *c = wa_chan_new(sizeof(int), 2);
  chan_job js[2] = {{c, 0, 0, 0}, {c, 1, 0, 0}};
  wa_task *ts[2] = {wa_spawn(recv_one_traced, &js[0]), wa_spawn(recv_one_traced, &js[1])};
  trace_reset();
  ASSERT_EQ(wa_yield(), 0);
  wa_chan_close(c);
  ASSERT_EQ(wa_join_all(ts, 2), 0);
  ASSERT_ERR(js[0].rc, WA_ECLOSED);
  ASSERT_ERR(js[1].rc, WA_ECLOSED);
  ASSERT_STR_EQ(trace, "0:0 1:0"); /* zero-filled */
  wa_chan_free(c);
  return 0;
}

TEST_IMPL(chan_receivers_drain_buffer_after_close) {
  wa_chan *c = wa_chan_new(sizeof(int), 4);
  int v;
  for (int i = 1; i <= 3; i++) ASSERT_EQ(wa_chan_send(c, &i), 0);
  wa_chan_close(c);
  for (int i = 1; i <= 3; i++) {
    ASSERT_EQ(wa_chan_recv(c, &v), 0);
    ASSERT_EQ(v, i);
  }
  ASSERT_ERR(wa_chan_recv(c, &v), WA_ECLOSED);
  ASSERT_ERR(wa_chan_try_recv(c, &v), WA_ECLOSED);
  wa_chan_free(c);
  return 0;
}

TEST_IMPL(chan_close_twice_is_harmless) {
  wa_chan *c = wa_chan_new(sizeof(int), 1);
  wa_chan_close(c);
  wa_chan_close(c);
  int v = 1;
  ASSERT_ERR(wa_chan_try_send(c, &v), WA_ECLOSED);
  wa_chan_free(c);
  return 0;
}

TEST_IMPL(chan_free_wakes_waiters_with_eclosed) {
  wa_chan *c = wa_chan_new(sizeof(int), 0);
  chan_job rj = {c, 0, 0, 0};
  wa_task *t = wa_spawn(recv_one_traced, &rj);
  ASSERT_EQ(wa_yield(), 0);
  wa_chan_free(c);
  ASSERT_EQ(wa_join(t), 0);
  ASSERT_ERR(rj.rc, WA_ECLOSED);
  return 0;
}

TEST_IMPL(chan_try_variants_return_eagain_instead_of_waiting) {
  wa_chan *r = wa_chan_new(sizeof(int), 0), *b = wa_chan_new(sizeof(int), 1);
  int v = 5, out = 0;
  ASSERT_ERR(wa_chan_try_send(r, &v), WA_EAGAIN); /* no receiver */
  ASSERT_ERR(wa_chan_try_recv(r, &out), WA_EAGAIN);
  ASSERT_ERR(wa_chan_try_recv(b, &out), WA_EAGAIN);
  ASSERT_EQ(wa_chan_try_send(b, &v), 0);
  ASSERT_ERR(wa_chan_try_send(b, &v), WA_EAGAIN);
  ASSERT_EQ(wa_chan_try_recv(b, &out), 0);
  ASSERT_EQ(out, 5);
  wa_chan_free(r);
  wa_chan_free(b);
  return 0;
}

TEST_IMPL(chan_try_send_hands_to_parked_receiver) {
  wa_chan *c = wa_chan_new(sizeof(int), 0);
  wa_task *t;
  chan_job j = {c, 0, 0, -1};
  int v = 8;
  t = wa_spawn(recv_into_stack, &j);
  ASSERT_EQ(wa_yield(), 0);
  ASSERT_EQ(wa_chan_try_send(c, &v), 0);
  ASSERT_EQ(wa_join(t), 8);
  wa_chan_free(c);
  return 0;
}

TEST_IMPL(chan_try_recv_takes_from_parked_sender) {
  wa_chan *c = wa_chan_new(sizeof(int), 0);
  chan_job j = {c, 6, 1, -1};
  wa_task *t = wa_spawn(send_range, &j);
  int v = 0;
  ASSERT_EQ(wa_yield(), 0);
  ASSERT_EQ(wa_chan_try_recv(c, &v), 0);
  ASSERT_EQ(v, 6);
  ASSERT_EQ(wa_join(t), 0);
  wa_chan_free(c);
  return 0;
}

TEST_IMPL(chan_null_arguments_are_einval) {
  int v = 0;
  ASSERT(wa_chan_new(0, 4) == NULL);
  ASSERT_ERR(wa_chan_send(NULL, &v), WA_EINVAL);
  ASSERT_ERR(wa_chan_recv(NULL, &v), WA_EINVAL);
  ASSERT_ERR(wa_chan_try_send(NULL, &v), WA_EINVAL);
  ASSERT_ERR(wa_chan_try_recv(NULL, &v), WA_EINVAL);
  wa_chan_close(NULL);
  wa_chan_free(NULL);
  return 0;
}

TEST_IMPL(chan_recv_is_cancellable) {
  wa_chan *c = wa_chan_new(sizeof(int), 0);
  chan_job j = {c, 0, 0, 0};
  wa_task *t = wa_spawn(recv_one_traced, &j);
  int v = 1;
  ASSERT_EQ(wa_yield(), 0);
  wa_cancel(t);
  ASSERT_EQ(wa_join(t), 0);
  ASSERT_ERR(j.rc, WA_ECANCELED);
  ASSERT_ERR(wa_chan_try_send(c, &v), WA_EAGAIN); /* its node is gone */
  wa_chan_free(c);
  return 0;
}

TEST_IMPL(chan_send_in_timeout_scope_returns_etimedout) {
  wa_chan *c = wa_chan_new(sizeof(int), 0);
  wa_timeout to;
  int v = 1;
  wa_timeout_begin(&to, 10);
  ASSERT_ERR(wa_chan_send(c, &v), WA_ETIMEDOUT);
  ASSERT_EQ(wa_timeout_end(&to), 1);
  ASSERT_ERR(wa_chan_try_recv(c, &v), WA_EAGAIN); /* the sender left */
  wa_chan_free(c);
  return 0;
}

static int recv_then_cancel_self(void *arg) {
  chan_job *j = arg;
  int v = -1;
  j->rc = wa_chan_recv(j->c, &v);
  return v;
}

TEST_IMPL(chan_value_delivered_before_cancel_is_kept) {
  wa_chan *c = wa_chan_new(sizeof(int), 0);
  chan_job j = {c, 0, 0, -1};
  wa_task *t = wa_spawn(recv_then_cancel_self, &j);
  int v = 12;
  ASSERT_EQ(wa_yield(), 0);
  ASSERT_EQ(wa_chan_send(c, &v), 0); /* completes the receive and wakes it */
  wa_cancel(t);                      /* too late: pending for its next await */
  ASSERT_EQ(wa_join(t), 12);
  ASSERT_EQ(j.rc, 0);
  wa_chan_free(c);
  return 0;
}
