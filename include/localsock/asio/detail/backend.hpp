// Private: the one place the Asio layer chooses its backend.
//
// POSIX: readiness. Each operation tries the sync object's non-blocking call
// and waits in Asio's reactor only when it would block (socket_state.hpp,
// speculative_wait.hpp or portable_wait.hpp as config.hpp decides). Windows: completion ports over named pipes, the same
// public API (docs/design.md, "Async I/O"); not written yet.
#pragma once

#if defined(_WIN32)
#  error "localsock/asio.hpp: the Windows backend (IOCP over named pipes) is not implemented yet; see docs/design.md"
#else
#  include <localsock/asio/detail/socket_state.hpp>
#  include <localsock/asio/detail/connect_op.hpp>
#endif
