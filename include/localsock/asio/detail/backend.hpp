// Private: the one place the Asio layer chooses its backend.
//
// POSIX: readiness. Each operation tries the sync object's non-blocking call
// and waits in Asio's reactor only when it would block (socket_state.hpp,
// speculative_wait.hpp or portable_wait.hpp as config.hpp decides).
// Windows: the same attempts over named pipes on the io_context's
// completion port (completion_port.hpp). config.hpp chooses.
#pragma once

#include <localsock/asio/detail/socket_state.hpp>
#include <localsock/asio/detail/connect_op.hpp>
