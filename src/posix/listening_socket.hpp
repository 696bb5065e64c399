// Private: a bound, listening AF_UNIX socket of some type — what LocalListener
// (SOCK_STREAM) and LocalSeqpacketListener (SOCK_SEQPACKET) are on POSIX —
// and binding a socket to a name, which LocalDatagram shares.
#pragma once

#include "bind_name.hpp"

#include <localsock/listener.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <new>
#include <optional>
#include <system_error>

namespace localsock::posix {

struct ListeningSocket {
    OwnedHandle socket;
    LocalSocketName name;
    // The socket file this listener created; removed on close if still there
    // (declared after `socket`, so it goes first: the path never names a dead
    // socket of ours).
    std::optional<SocketFile> own_file;
    bool handle_passing = true;
    bool nonblocking_accepted = false; // accepted sockets start non-blocking
    bool accept_timed = false;         // an accept timeout was set (deadline.hpp)
    bool nonblocking = false;          // localsock made it non-blocking (EAGAIN is would_block)

    ListeningSocket() = default;
    ListeningSocket(const ListeningSocket&) = delete;
    ListeningSocket& operator=(const ListeningSocket&) = delete;
};

bool bind_listening(ListeningSocket& listener, int type, const LocalSocketName& name, const ListenerOptions& options,
                    std::error_code& ec) noexcept;
bool adopt_listening(ListeningSocket& listener, int type, OwnedHandle handle, std::error_code& ec) noexcept;

// The Impl (derived from ListeningSocket) of a public listener class, bound
// and listening, or adopted; nullptr and `ec` on failure.
template <class Impl>
std::unique_ptr<Impl> open_listener(int type, const LocalSocketName& name, const ListenerOptions& options,
                                    std::error_code& ec) noexcept {
    auto impl = std::unique_ptr<Impl>(new (std::nothrow) Impl);
    if (!impl)
        ec = std::make_error_code(std::errc::not_enough_memory);
    else if (!bind_listening(*impl, type, name, options, ec))
        impl.reset();
    return impl;
}

template <class Impl>
std::unique_ptr<Impl> adopt_listener(int type, OwnedHandle handle, std::error_code& ec) noexcept {
    auto impl = std::unique_ptr<Impl>(new (std::nothrow) Impl);
    if (!impl)
        ec = std::make_error_code(std::errc::not_enough_memory);
    else if (!adopt_listening(*impl, type, std::move(handle), ec))
        impl.reset();
    return impl;
}
// The next connection (would_block on a non-blocking listener with none,
// timed_out when SO_RCVTIMEO on a blocking one expires).
OwnedHandle accept_next(ListeningSocket* listener, std::error_code& ec) noexcept;
void set_listener_nonblocking(ListeningSocket* listener, bool nonblocking, std::error_code& ec) noexcept;
// SO_RCVTIMEO, which bounds accept().
void set_accept_timeout(ListeningSocket* listener, std::chrono::milliseconds timeout, std::error_code& ec) noexcept;
OwnedHandle release_listening(ListeningSocket* listener) noexcept;

} // namespace localsock::posix
