// The operations every POSIX localsock socket shares (socket_core.hpp).
#include "socket_core.hpp"
#include "address.hpp"
#include "descriptor.hpp"

#include <localsock/error.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

namespace localsock::posix {
namespace {

// Waits for a connect() that carries on in the kernel (EALREADY: BSD
// kernels keep connecting after EINTR), then checks that it did connect.
bool finish_connecting(int fd, std::error_code& ec) noexcept {
    pollfd waiting{fd, POLLOUT, 0};
    if (retry_on_eintr([&] { return ::poll(&waiting, 1, -1); }) < 0) {
        ec = last_error();
        return false;
    }
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0)
        error = errno;
    sockaddr_un peer{};
    socklen_t peer_length = sizeof peer;
    if (error == 0 && ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length) != 0)
        error = errno == ENOTCONN ? ECONNREFUSED : errno;
    if (error != 0) {
        ec = {error, std::system_category()};
        return false;
    }
    return true;
}

// A connect either connects or fails. Linux's AF_UNIX connect() interrupted
// by a signal (waiting for room in a full backlog) has not connected and
// does not carry on: polling for POLLOUT would return at once with SO_ERROR
// 0 on a socket that is not connected. So the connect itself is made again
// (within the socket's SO_SNDTIMEO, which bounds a wait for the backlog);
// where the kernel does carry on, the retry says EISCONN (done) or EALREADY
// (still going: wait for it).
bool connect_socket(int fd, const SocketAddress& address, std::error_code& ec) noexcept {
    const auto attempt = [&] {
        const int result = ::connect(fd, address.get(), address.length);
        return result != 0 && errno == EISCONN ? 0 : result;
    };
    int result = ::connect(fd, address.get(), address.length);
    if (result != 0 && errno == EINTR)
        result = retry_interrupted(fd, Wait::send, 0, attempt);
    if (result == 0)
        return true;
    if (errno == EALREADY || errno == EINPROGRESS)
        return finish_connecting(fd, ec);
    ec = errno == EAGAIN ? would_block_or_timed_out(fd) : last_error();
    return false;
}

} // namespace

OwnedHandle connect_to(int type, const LocalSocketName& name, bool nonblocking, std::error_code& ec) noexcept {
    if (name.empty()) {
        ec = errc::empty_name;
        return {};
    }
    OwnedHandle socket = open_socket(type, ec);
    if (ec || (nonblocking && !set_nonblocking(socket.get(), true, ec)) ||
        !connect_socket(socket.get(), to_address(name), ec))
        return {};
    return socket;
}

bool set_timeout_option(int fd, Wait wait, std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    if (timeout.count() < 0) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return false;
    }
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    if (::setsockopt(fd, SOL_SOCKET, timeout_option(wait), &tv, sizeof tv) != 0) {
        ec = last_error();
        return false;
    }
    return true;
}

void set_timeout(SocketCore* core, Wait wait, std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    ec.clear();
    if (!is_open(core))
        ec = not_open();
    else if (set_timeout_option(core->fd(), wait, timeout, ec))
        (wait == Wait::receive ? core->read_timed : core->write_timed) = timeout.count() != 0;
}

void set_nonblocking(SocketCore* core, bool nonblocking, std::error_code& ec) noexcept {
    ec.clear();
    if (!is_open(core))
        ec = not_open();
    else if (set_nonblocking(core->fd(), nonblocking, ec))
        core->nonblocking = nonblocking;
}

void set_handle_limit(SocketCore* core, std::size_t limit, std::error_code& ec) noexcept {
    ec.clear();
    if (!is_open(core))
        ec = not_open();
    else if (limit > max_handles_per_message)
        ec = errc::too_many_handles;
    else
        core->max_handles = limit;
}

void shutdown(SocketCore* core, Shutdown how, std::error_code& ec) noexcept {
    ec.clear();
    if (!is_open(core)) {
        ec = not_open();
        return;
    }
    const int mode = how == Shutdown::read ? SHUT_RD : how == Shutdown::write ? SHUT_WR : SHUT_RDWR;
    if (::shutdown(core->fd(), mode) != 0)
        ec = last_error();
}

void set_flag_option(SocketCore* core, int level, int option, bool on, std::error_code& ec) noexcept {
    ec.clear();
    if (!is_open(core)) {
        ec = not_open();
        return;
    }
    const int value = on ? 1 : 0;
    if (::setsockopt(core->fd(), level, option, &value, sizeof value) != 0)
        ec = last_error();
}

void set_receive_credentials(SocketCore* core, bool on, std::error_code& ec) noexcept {
#if defined(SO_PASSCRED)
    set_flag_option(core, SOL_SOCKET, SO_PASSCRED, on, ec);
#else
    (void)core;
    (void)on;
    ec = std::make_error_code(std::errc::not_supported);
#endif
}

bool is_local_socket(int fd, int type, bool connected) noexcept {
    int actual = 0;
    socklen_t type_length = sizeof actual;
    sockaddr_un local{};
    socklen_t local_length = sizeof local;
    sockaddr_un peer{};
    socklen_t peer_length = sizeof peer;
    return ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &actual, &type_length) == 0 && actual == type &&
           ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) == 0 &&
           local.sun_family == AF_UNIX &&
           (!connected || ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length) == 0);
}

bool is_local_socket_of_other_type(int fd, int type) noexcept {
    int actual = 0;
    socklen_t type_length = sizeof actual;
    sockaddr_un local{};
    socklen_t local_length = sizeof local;
    return ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &actual, &type_length) == 0 && actual != type &&
           ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) == 0 &&
           local.sun_family == AF_UNIX;
}

} // namespace localsock::posix
