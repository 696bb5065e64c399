// Private: the one place the Asio layer chooses its backend.
//
// POSIX: readiness. Each operation tries the sync object's non-blocking call
// and waits with Asio's reactor only when it would block (socket_state.hpp,
// reactive_op.hpp). Windows: completion ports over named pipes, the same
// public API (docs/design.md, "Async I/O"); not written yet.
#pragma once

#if defined(_WIN32)
#  error "localsock/asio.hpp: the Windows backend (IOCP over named pipes) is not implemented yet; see docs/design.md"
#else
#  include <localsock/asio/detail/socket_state.hpp>
#  include <localsock/asio/detail/reactive_op.hpp>
#  include <localsock/asio/detail/connect_op.hpp>
#endif
