// Private: what every connected or datagram localsock socket is on POSIX — an
// AF_UNIX socket of some type, its name and its receive policy — and the
// operations they all share. LocalStream, LocalSeqpacket and LocalDatagram
// each have an Impl derived from SocketCore.
#pragma once

#include "deadline.hpp"
#include "descriptor.hpp"

#include <localsock/error.hpp>
#include <localsock/name.hpp>
#include <localsock/stream.hpp>

#include <cerrno>
#include <chrono>
#include <memory>
#include <new>
#include <system_error>
#include <utility>

namespace localsock::posix {

struct SocketCore {
    OwnedHandle socket;
    LocalSocketName name;
    std::size_t max_handles = max_handles_per_message;
    bool handle_passing = true; // false: receives accept no handles
    // Whether a read / write timeout was set through localsock: then a
    // blocking call reads the clock first, so that signals cannot stretch
    // the timeout (deadline.hpp). Not whether the socket blocks: that is
    // asked of the descriptor itself when it matters.
    bool read_timed = false;
    bool write_timed = false;
    // Whether localsock made the descriptor non-blocking (set_nonblocking, or
    // opened so); see io_error.
    bool nonblocking = false;

    int fd() const noexcept { return socket.get(); }

    // errno of a failed read or write, as the portable condition: EAGAIN is
    // would_block or timed_out by the descriptor's real state. Linux's
    // ETOOMANYREFS ("Too many references: cannot splice") gets a message that
    // says what happened.
    // When localsock made the socket non-blocking and set no timeout for
    // `wait`, EAGAIN can only be would_block: no fcntl to ask (an event
    // loop's retry stays at the one system call it needs).
    std::error_code io_error(int error, Wait wait) const noexcept {
        if (error == EAGAIN || error == EWOULDBLOCK)
            return nonblocking && !timed(wait) ? std::make_error_code(std::errc::operation_would_block)
                                               : would_block_or_timed_out(fd());
#if defined(ETOOMANYREFS)
        if (error == ETOOMANYREFS)
            return errc::too_many_handles_in_flight;
#endif
        return {error, std::system_category()};
    }

    bool timed(Wait wait) const noexcept { return wait == Wait::receive ? read_timed : write_timed; }

    // How many handles one receive may install.
    std::size_t handle_limit() const noexcept { return handle_passing ? max_handles : 0; }
};

inline std::error_code not_open() noexcept { return std::make_error_code(std::errc::bad_file_descriptor); }

inline bool is_open(const SocketCore* core) noexcept { return core != nullptr && core->socket.valid(); }

// One I/O system call: checks the socket is open, makes the call with its
// descriptor (a signal does not stretch the `wait` timeout), and maps a
// failure to the portable condition.
// Always inlined: it wraps the system call of every message.
template <class Call>
[[gnu::always_inline]] inline std::size_t transfer(SocketCore* core, Wait wait, std::error_code& ec,
                                                   Call call) noexcept {
    if (!is_open(core)) {
        ec = not_open();
        return 0;
    }
    const int fd = core->fd();
    const auto n = call_within_timeout(fd, wait, core->timed(wait), [&] { return call(fd); });
    if (n < 0) {
        ec = core->io_error(errno, wait);
        return 0;
    }
    return static_cast<std::size_t>(n);
}

// The shared controls; each checks that the socket is open.
void set_timeout(SocketCore* core, Wait wait, std::chrono::milliseconds timeout, std::error_code& ec) noexcept;
// The same on any socket (listeners too): negative is invalid_argument, 0 forever.
bool set_timeout_option(int fd, Wait wait, std::chrono::milliseconds timeout, std::error_code& ec) noexcept;
void set_nonblocking(SocketCore* core, bool nonblocking, std::error_code& ec) noexcept;
void set_handle_limit(SocketCore* core, std::size_t limit, std::error_code& ec) noexcept;
void shutdown(SocketCore* core, Shutdown how, std::error_code& ec) noexcept;
void set_flag_option(SocketCore* core, int level, int option, bool on, std::error_code& ec) noexcept;
// SO_PASSCRED where the platform has it, not_supported elsewhere.
void set_receive_credentials(SocketCore* core, bool on, std::error_code& ec) noexcept;
PeerCredentials peer_credentials(const SocketCore* core, std::error_code& ec) noexcept;
OwnedHandle peer_process(const SocketCore* core, std::error_code& ec) noexcept;
// Whether fd is an AF_UNIX socket of `type` (connected, if asked).
bool is_local_socket(int fd, int type, bool connected) noexcept;
// Whether fd is an AF_UNIX socket of a type other than `type`: adopt() says
// errc::wrong_socket_type for it rather than "not a listener / stream".
bool is_local_socket_of_other_type(int fd, int type) noexcept;

// A new socket of `type` connected to `name`. It really is connected when
// this returns it: a connect() that a signal interrupted is made again.
OwnedHandle connect_to(int type, const LocalSocketName& name, bool nonblocking, std::error_code& ec) noexcept;

// close() of every public POSIX class: what destroying `impl` does (a socket
// file it created is removed while the socket is still open), then the
// socket's close(2), whose error is reported. Impl has an OwnedHandle `socket`.
template <class Impl>
void close_socket(std::unique_ptr<Impl>& impl, std::error_code& ec) noexcept {
    ec.clear();
    if (!impl || !impl->socket.valid()) {
        impl.reset();
        ec = not_open();
        return;
    }
    OwnedHandle socket = std::move(impl->socket);
    impl.reset();
    close_descriptor(socket, ec);
}

// The Impl of a public socket class around a socket it now owns.
template <class Impl>
std::unique_ptr<Impl> make_socket(OwnedHandle socket, const LocalSocketName& name, bool handle_passing,
                                  std::error_code& ec, bool nonblocking = false) noexcept {
    auto impl = std::unique_ptr<Impl>(new (std::nothrow) Impl);
    if (!impl) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return nullptr;
    }
    try {
        impl->name = name;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return nullptr;
    }
    impl->socket = std::move(socket);
    impl->handle_passing = handle_passing;
    impl->nonblocking = nonblocking;
    return impl;
}

template <class Impl>
std::pair<std::unique_ptr<Impl>, std::unique_ptr<Impl>> make_socket_pair(int type, std::error_code& ec) noexcept {
    OwnedHandle first, second;
    if (!open_socket_pair(type, first, second, ec))
        return {};
    auto a = make_socket<Impl>(std::move(first), {}, true, ec);
    auto b = make_socket<Impl>(std::move(second), {}, true, ec);
    if (ec)
        return {};
    return {std::move(a), std::move(b)};
}

} // namespace localsock::posix
