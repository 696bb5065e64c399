// localsock's Asio layer: which Asio it is built on, decided in this one place.
//
// Standalone Asio (<asio.hpp>, 1.22 or later) by default; Boost.Asio (Boost
// 1.77 or later: per-operation cancellation) when LOCALSOCK_ASIO_USE_BOOST is
// defined before any localsock Asio header is included. Everything else in
// the layer names Asio only as `localsock::net` and its error code as
// `localsock::net_error_code`, so one body serves both.
#pragma once

#if defined(LOCALSOCK_ASIO_USE_BOOST)
#  include <boost/asio.hpp>
#  include <boost/version.hpp>
#  if BOOST_VERSION < 107700
#    error "localsock/asio.hpp needs Boost.Asio from Boost 1.77 or later (per-operation cancellation)"
#  endif
#else
#  include <asio.hpp>
#  if ASIO_VERSION < 102200
#    error "localsock/asio.hpp needs standalone Asio 1.22 or later"
#  endif
#endif

#include <system_error>

#if defined(LOCALSOCK_ASIO_USE_BOOST)
#  define LOCALSOCK_ASIO_VERSION BOOST_ASIO_VERSION
#  define LOCALSOCK_ASIO_DEFINE_HANDLER_PTR(op) BOOST_ASIO_DEFINE_HANDLER_PTR(op)
#  define LOCALSOCK_ASIO_CONT_HELPERS ::boost_asio_handler_cont_helpers
#  if defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
#    define LOCALSOCK_ASIO_NO_REACTOR 1
#  endif
#else
#  define LOCALSOCK_ASIO_VERSION ASIO_VERSION
#  define LOCALSOCK_ASIO_DEFINE_HANDLER_PTR(op) ASIO_DEFINE_HANDLER_PTR(op)
#  define LOCALSOCK_ASIO_CONT_HELPERS ::asio_handler_cont_helpers
#  if defined(ASIO_HAS_IO_URING_AS_DEFAULT)
#    define LOCALSOCK_ASIO_NO_REACTOR 1
#  endif
#endif

// How a POSIX operation that would block waits (detail/backend.hpp):
// speculatively inside Asio's reactor — the socket call made under the
// reactor's descriptor lock, as Asio's own socket operations are, so a wait
// costs no system call beyond the readiness itself — where the reactor's
// interface is the one this layer was written and tested against (Asio 1.22
// to 1.26: standalone 1.22, Boost 1.79 to 1.81); otherwise, or with
// LOCALSOCK_ASIO_PORTABLE_WAIT defined, through the public descriptor
// async_wait, which re-arms the descriptor (one epoll_ctl) per wait.
//
// Windows: completion ports (completion_port.hpp), whatever the version.
#if defined(_WIN32)
#  define LOCALSOCK_ASIO_COMPLETION_PORT 1
#elif !defined(LOCALSOCK_ASIO_PORTABLE_WAIT) && !defined(LOCALSOCK_ASIO_NO_REACTOR) && \
    LOCALSOCK_ASIO_VERSION >= 102200 && LOCALSOCK_ASIO_VERSION < 102700
#  define LOCALSOCK_ASIO_SPECULATIVE_WAIT 1
#endif

namespace localsock {

#if defined(LOCALSOCK_ASIO_USE_BOOST)
namespace net = ::boost::asio;
// The error code every completion handler receives. Boost's converts to and
// from std::error_code, so localsock::errc values compare after
// `std::error_code(ec)`.
using net_error_code = ::boost::system::error_code;
#else
namespace net = ::asio;
using net_error_code = ::asio::error_code; // std::error_code
#endif

namespace asio_detail {

inline net_error_code to_net_error(const std::error_code& ec) noexcept { return net_error_code(ec); }
inline std::error_code to_std_error(const net_error_code& ec) noexcept { return std::error_code(ec); }

// What an operation that was cancelled, or whose object was closed, reports:
// Asio's own operation_aborted, so that `ec == net::error::operation_aborted`
// holds as it does for Asio's sockets.
inline net_error_code operation_aborted() noexcept { return net_error_code(net::error::operation_aborted); }

} // namespace asio_detail
} // namespace localsock
