/* error.c — WA_E* descriptions and names, generated from WA_ERRNO_MAP. */
#include "internal.h"

const char *wa_strerror(int code) {
  switch (code) {
#define WA__STRERROR_CASE(name, value, text) case WA_##name: return text;
    WA_ERRNO_MAP(WA__STRERROR_CASE)
#undef WA__STRERROR_CASE
    case 0: return "success";
    default: return "unknown error";
  }
}

const char *wa_err_name(int code) {
  switch (code) {
#define WA__ERRNAME_CASE(name, value, text) case WA_##name: return "WA_" #name;
    WA_ERRNO_MAP(WA__ERRNAME_CASE)
#undef WA__ERRNAME_CASE
    case 0: return "WA_OK";
    default: return "WA_EUNKNOWN";
  }
}
