// Private: LocalSocketName <-> sockaddr_un.
#pragma once

#include <localsock/name.hpp>

#include <sys/socket.h>
#include <sys/un.h>

namespace localsock::posix {

struct SocketAddress {
    sockaddr_un storage{};
    socklen_t length = 0;

    const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
};

// The name is valid by construction (LocalSocketName checked its length), so
// this cannot fail for a non-empty name.
SocketAddress to_address(const LocalSocketName& name) noexcept;

// The name a kernel-reported address stands for; empty for an unnamed socket.
LocalSocketName from_address(const sockaddr_un& address, socklen_t length);
// The same, written into an existing name, reusing its storage: receiving
// from the same senders again and again allocates nothing.
void assign_from_address(const sockaddr_un& address, socklen_t length, LocalSocketName& name);

} // namespace localsock::posix
