#include "descriptor.hpp"
#include "deadline.hpp"

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

OwnedHandle accept_connection(int listener, bool nonblocking, bool timed, bool listener_nonblocking,
                              std::error_code& ec) noexcept {
    int fd;
    do {
#if defined(SOCK_CLOEXEC)
        const int flags = SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0);
        fd = call_within_timeout(listener, Wait::receive, timed,
                                 [&] { return ::accept4(listener, nullptr, nullptr, flags); });
#else
        fd = call_within_timeout(listener, Wait::receive, timed, [&] { return ::accept(listener, nullptr, nullptr); });
#endif
        // A client that gave up while queued is not the server's error.
    } while (fd < 0 && errno == ECONNABORTED);
    if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        ec = listener_nonblocking ? std::make_error_code(std::errc::operation_would_block)
                                  : would_block_or_timed_out(listener);
        return {};
    }
    OwnedHandle client = finish_new_socket(fd, ec);
#if !defined(SOCK_CLOEXEC)
    if (client && nonblocking && !set_nonblocking(client.get(), true, ec))
        client.reset();
#endif
    return client;
}

bool adopt_descriptor(int fd, std::error_code& ec) noexcept {
    return set_cloexec(fd, ec) && suppress_sigpipe(fd, ec);
}

void close_descriptor(OwnedHandle& handle, std::error_code& ec) noexcept {
    if (::close(handle.release()) != 0 && errno != EINTR)
        ec = last_error();
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

std::error_code would_block_or_timed_out(int fd) noexcept {
    return std::make_error_code(is_nonblocking(fd) ? std::errc::operation_would_block : std::errc::timed_out);
}

} // namespace localsock::posix
