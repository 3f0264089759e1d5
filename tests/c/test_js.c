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
