/* cxx.c — names an uncaught C++ exception: its type and, for a
 * std::exception, what(). Linked only into C++ programs: their link wraps
 * __cxa_throw (-Wl,--wrap=__cxa_throw, js/cli/build.mjs), which pulls this
 * file out of the runtime library; a C program never sees it.
 *
 * Under Emscripten's JS exception handling a throw that nothing catches
 * reaches the JS host as the thrown object's address (3.1.x), an object
 * holding it (later releases), or an abort() without it (later releases
 * built without exception catching, the default). The wrapper keeps the
 * address and type of the last throw, which every case can name; the host
 * (wasm/host/js/debug.js) asks wa__cxx_describe when a fault ends the module.
 * Only the Itanium C++ ABI is used: std::type_info is { vtable, mangled
 * name }, and what() is std::exception's third virtual slot. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The std::exception type_info and libc++abi's catch test, weak: present
 * in every program that throws a class derived from std::exception. */
extern const char _ZTISt9exception[] __attribute__((weak));
int __cxa_can_catch(const void *catch_type, const void *thrown_type, void **thrown) __attribute__((weak));

void __real___cxa_throw(void *thrown, void *type, void (*destructor)(void *)) __attribute__((noreturn));
void __wrap___cxa_throw(void *thrown, void *type, void (*destructor)(void *)) __attribute__((noreturn));

static void *last_thrown;
static const void *last_type;

void __wrap___cxa_throw(void *thrown, void *type, void (*destructor)(void *)) {
  last_thrown = thrown;
  last_type = type;
  __real___cxa_throw(thrown, type, destructor);
}

/* Writes the demangled form of a mangled class name into out: a
 * <source-name>, St<source-name>, or N...E of those ("St13runtime_error"
 * is std::runtime_error); anything else (templates…) stays mangled. */
static void demangle(const char *m, char *out, size_t cap) {
  const char *p = m;
  size_t n = 0;
  int nested = *p == 'N', std_prefix;
  p += nested;
  do {
    const char *part = p;
    size_t len = 0;
    std_prefix = p[0] == 'S' && p[1] == 't';
    if (std_prefix) {
      part = "std";
      len = 3;
      p += 2;
    } else {
      while (*p >= '0' && *p <= '9') len = len * 10 + (size_t)(*p++ - '0');
      if (len == 0 || strlen(p) < len) goto mangled;
      part = p;
      p += len;
    }
    if (n + len + 3 > cap) goto mangled;
    if (n) out[n++] = ':', out[n++] = ':';
    memcpy(out + n, part, len);
    n += len;
  } while (nested ? *p && *p != 'E' : std_prefix);
  if (nested && *p++ != 'E') goto mangled;
  if (*p) goto mangled;
  out[n] = 0;
  return;
mangled:
  snprintf(out, cap, "%s", m);
}

/* "type: what()" (or just the type) of the last exception thrown, if it is
 * `thrown` or thrown is NULL; NULL if nothing was thrown or another object
 * was. The text lives in a static buffer until the next call. */
const char *wa__cxx_describe(void *thrown) {
  static char text[512];
  char type[200];
  void *adjusted = last_thrown;
  const char *what = NULL;
  if (!last_thrown || (thrown && thrown != last_thrown)) return NULL;
  demangle(((const char *const *)last_type)[1], type, sizeof type);
  if (_ZTISt9exception && __cxa_can_catch && __cxa_can_catch(_ZTISt9exception, last_type, &adjusted)) {
    const uintptr_t *vtable = *(const uintptr_t *const *)adjusted;
    what = ((const char *(*)(const void *))vtable[2])(adjusted);
  }
  snprintf(text, sizeof text, what ? "%s: \"%s\"" : "%s", type, what);
  return text;
}
