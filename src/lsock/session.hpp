// lsock: one connection spoken to from the terminal: stdin to the socket on
// a writer thread, the socket to stdout on the calling thread.
#pragma once

#include "connection.hpp"
#include "handles.hpp"

#include <localsock/handle.hpp>

#include <span>

namespace lsock {

// Runs until the peer closes (stream, seqpacket; stdin then has half a
// second more to finish, as with socat) — for `connect --datagram`,
// until stdin ended and no datagram came for half a second; a datagram
// listener, until an error. Stdin's end shuts the socket's writing side.
// The outgoing handles go with the first bytes sent (or a single zero byte
// if stdin is empty). Returns false after reporting an error.
bool run_session(Connection& connection, std::span<const localsock::BorrowedHandle> outgoing,
                 ReceivedHandles& received);

} // namespace lsock
