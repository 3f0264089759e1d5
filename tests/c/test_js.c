/* The parts of the JS bridge that C sees in every build. */
#include <stdint.h>
#include "task.h"

TEST_IMPL(js_bytes_is_a_length_prefixed_copy) {
  const unsigned char data[5] = {9, 8, 7, 6, 5};
  unsigned char *p = wa_js_bytes(data, sizeof data);
  uint32_t len;
  ASSERT(p != NULL);
  memcpy(&len, p, sizeof len);
  ASSERT_EQ(len, 5);
  ASSERT_EQ(memcmp(p + sizeof len, data, sizeof data), 0);
  free(p);
  p = wa_js_bytes(NULL, 0);
  ASSERT(p != NULL);
  memcpy(&len, p, sizeof len);
  ASSERT_EQ(len, 0);
  free(p);
  return 0;
}

/* Issue 21 #5: on wasm32 a len near SIZE_MAX wrapped the block size. */
TEST_IMPL(js_bytes_of_a_length_that_does_not_fit_is_null) {
  static const unsigned char data[4] = {1, 2, 3, 4};
  static const size_t lens[] = {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 3}; /* - 4 and below: a valid size (emcc 6 can give 4 GiB) */
  for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
    void *p = wa_js_bytes(data, lens[i]);
    if (p) WA_TEST_FAIL_("wa_js_bytes(data, %zu) returned a block", lens[i]);
  }
  return 0;
}

TEST_IMPL(js_await_of_an_unknown_handle_fails_at_once) {
  double v = 1;
#ifdef __EMSCRIPTEN__
  ASSERT_ERR(wa_js_await(987654, &v), WA_EINVAL);
#else
  ASSERT_ERR(wa_js_await(987654, &v), WA_ENOTSUP);
#endif
  ASSERT(v == 1); /* untouched */
  wa_js_release(987654); /* harmless */
  return 0;
}
