// Private: binding a socket to a name — the one implementation of socket-file
// modes, stale reclaim and own-file bookkeeping for every POSIX socket type.
#pragma once

#include "socket_file.hpp"

#include <localsock/name.hpp>

#include <filesystem>
#include <optional>
#include <system_error>

namespace localsock::posix {

// Binds fd to `name`, and listens with `listen_backlog` if one is given.
//
// Namespaced names: a plain bind; `mode` is an error (invalid_argument): the
// abstract namespace has no permissions, and a silently ignored mode would
// let anyone connect.
//
// Socket files of listeners: bound, given `mode` and listening inside a
// private directory beside the path, then moved into place without replacing
// anything (or, with `reclaim`, atomically swapped with a provably dead socket
// file). The path only ever names a listening socket with its final mode.
//
// Socket files of datagram sockets (no listen): bound in place, because the
// bound address is what receivers reply to; the file is born with exactly
// `mode` (the socket's own mode and, when the umask would narrow it, a zero
// umask in a thread of its own), and `reclaim` swaps a dead file for a
// placeholder before binding. No chmod by path anywhere.
//
// `own_file` records the file created, for removal when the socket closes.
bool bind_to_name(int fd, const LocalSocketName& name, const std::optional<std::filesystem::perms>& mode,
                  bool reclaim, std::optional<int> listen_backlog, std::optional<SocketFile>& own_file,
                  std::error_code& ec) noexcept;

} // namespace localsock::posix
