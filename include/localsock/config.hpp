// localsock: export macro and the one platform-dependent public type.
#pragma once

// LOCALSOCK_API marks the public ABI. The library is built with hidden
// visibility, so anything not marked here stays private to the shared object.
#if defined(_WIN32) || defined(__CYGWIN__)
#  if defined(LOCALSOCK_STATIC)
#    define LOCALSOCK_API
#  elif defined(LOCALSOCK_BUILDING)
#    define LOCALSOCK_API __declspec(dllexport)
#  else
#    define LOCALSOCK_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define LOCALSOCK_API __attribute__((visibility("default")))
#else
#  define LOCALSOCK_API
#endif

#define LOCALSOCK_VERSION_MAJOR 0
#define LOCALSOCK_VERSION_MINOR 1
#define LOCALSOCK_VERSION_PATCH 0

namespace localsock {

// The operating system's handle type: a file descriptor on POSIX, a HANDLE
// on Windows. Spelled without platform headers so public headers stay clean.
#if defined(_WIN32)
using native_handle_type = void*;
inline const native_handle_type invalid_native_handle = reinterpret_cast<void*>(-1);
#else
using native_handle_type = int;
inline constexpr native_handle_type invalid_native_handle = -1;
#endif

} // namespace localsock
