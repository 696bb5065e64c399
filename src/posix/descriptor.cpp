#include "descriptor.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace localsock::posix {
namespace {

// Per-socket SIGPIPE suppression for platforms without MSG_NOSIGNAL (macOS).
bool suppress_sigpipe(int fd, std::error_code& ec) noexcept {
#if !defined(MSG_NOSIGNAL) && defined(SO_NOSIGPIPE)
    const int on = 1;
    if (::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on) != 0) {
        ec = last_error();
        return false;
    }
#else
    (void)fd;
    (void)ec;
#endif
    return true;
}

// Where the atomic flag is missing: set FD_CLOEXEC right away, or give up the
// descriptor rather than hand out one that would leak into children.
OwnedHandle finish_new_socket(int fd, std::error_code& ec) noexcept {
    if (fd < 0) {
        ec = last_error();
        return {};
    }
    OwnedHandle owner(fd);
#if !defined(SOCK_CLOEXEC)
    if (!set_cloexec(fd, ec))
        return {};
#endif
    if (!suppress_sigpipe(fd, ec))
        return {};
    return owner;
}

} // namespace

OwnedHandle open_socket(int type, std::error_code& ec) noexcept {
#if defined(SOCK_CLOEXEC)
    type |= SOCK_CLOEXEC;
#endif
    return finish_new_socket(::socket(AF_UNIX, type, 0), ec);
}

bool open_socket_pair(int type, OwnedHandle& first, OwnedHandle& second, std::error_code& ec) noexcept {
#if defined(SOCK_CLOEXEC)
    type |= SOCK_CLOEXEC;
#endif
    int fds[2];
    if (::socketpair(AF_UNIX, type, 0, fds) != 0) {
        ec = last_error();
        return false;
    }
    first = finish_new_socket(fds[0], ec);
    second = finish_new_socket(fds[1], ec);
    if (ec) {
        first.reset();
        second.reset();
        return false;
    }
    return true;
}

OwnedHandle accept_connection(int listener, std::error_code& ec) noexcept {
    int fd;
    do {
#if defined(SOCK_CLOEXEC)
        fd = retry_on_eintr([&] { return ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC); });
#else
        fd = retry_on_eintr([&] { return ::accept(listener, nullptr, nullptr); });
#endif
        // A client that gave up while queued is not the server's error.
    } while (fd < 0 && errno == ECONNABORTED);
    return finish_new_socket(fd, ec);
}

bool adopt_descriptor(int fd, std::error_code& ec) noexcept {
    return set_cloexec(fd, ec) && suppress_sigpipe(fd, ec);
}

bool set_cloexec(int fd, std::error_code& ec) noexcept {
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0 || ((flags & FD_CLOEXEC) == 0 && ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0)) {
        ec = last_error();
        return false;
    }
    return true;
}

bool set_nonblocking(int fd, bool nonblocking, std::error_code& ec) noexcept {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0) {
        ec = last_error();
        return false;
    }
    const int wanted = nonblocking ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    if (wanted != flags && ::fcntl(fd, F_SETFL, wanted) != 0) {
        ec = last_error();
        return false;
    }
    return true;
}

bool is_nonblocking(int fd) noexcept {
    const int flags = ::fcntl(fd, F_GETFL);
    return flags >= 0 && (flags & O_NONBLOCK) != 0;
}

} // namespace localsock::posix
