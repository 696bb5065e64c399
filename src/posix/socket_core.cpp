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

// connect() interrupted by a signal keeps going in the kernel; retrying it
// would fail with EALREADY. Wait for the outcome instead.
bool connect_socket(int fd, const SocketAddress& address, std::error_code& ec) noexcept {
    if (::connect(fd, address.get(), address.length) == 0)
        return true;
    if (errno != EINTR) {
        ec = last_error();
        return false;
    }
    pollfd waiting{fd, POLLOUT, 0};
    if (retry_on_eintr([&] { return ::poll(&waiting, 1, -1); }) < 0) {
        ec = last_error();
        return false;
    }
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0)
        error = errno;
    if (error != 0) {
        ec = {error, std::system_category()};
        return false;
    }
    return true;
}

} // namespace

OwnedHandle connect_to(int type, const LocalSocketName& name, std::error_code& ec) noexcept {
    if (name.empty()) {
        ec = errc::empty_name;
        return {};
    }
    OwnedHandle socket = open_socket(type, ec);
    if (ec || !connect_socket(socket.get(), to_address(name), ec))
        return {};
    return socket;
}

void set_timeout(SocketCore* core, int option, std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    ec.clear();
    if (!is_open(core)) {
        ec = not_open();
        return;
    }
    if (timeout.count() < 0) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return;
    }
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    if (::setsockopt(core->fd(), SOL_SOCKET, option, &tv, sizeof tv) != 0)
        ec = last_error();
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
