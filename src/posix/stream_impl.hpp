// Private: what a LocalStream is on POSIX — a connected AF_UNIX stream socket.
#pragma once

#include "socket_core.hpp"

#include <localsock/stream.hpp>

namespace localsock {

struct LocalStream::Impl : posix::SocketCore {};

} // namespace localsock
