// Includes cpp-httplib as a system header, so its own warnings do not break our -Werror build.
//
// Debian's libcpp-httplib-dev is not header-only: httplib.h only declares, and the code lives in
// libcpp-httplib.so (link it, e.g. via pkg-config `cpp-httplib`). That library is built with
// OpenSSL, zlib and Brotli support, and those macros change the layout of httplib's classes
// (httplib::Request has an `ssl` member only with OpenSSL), so they must be defined here the same
// way, whether or not the build system passes the pkg-config Cflags too.
#pragma once
#pragma GCC system_header

#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#ifndef CPPHTTPLIB_ZLIB_SUPPORT
#define CPPHTTPLIB_ZLIB_SUPPORT
#endif
#ifndef CPPHTTPLIB_BROTLI_SUPPORT
#define CPPHTTPLIB_BROTLI_SUPPORT
#endif

#include <httplib.h>
