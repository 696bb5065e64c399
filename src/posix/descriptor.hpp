// Private: the descriptor discipline, in one place. Every socket and every
// received descriptor goes through these functions, so that
//  - it is close-on-exec from the moment the kernel hands it over
//    (SOCK_CLOEXEC / accept4 / MSG_CMSG_CLOEXEC; set-or-close where missing),
//  - no write raises SIGPIPE (MSG_NOSIGNAL per call, SO_NOSIGPIPE per socket
//    where the flag is missing) and the process's SIGPIPE disposition is never
//    touched,
//  - EINTR is retried (except by close, which must not be retried); a call
//    that waits under a socket timeout is retried within what is left of it
//    (deadline.hpp), so the per-message calls below leave EINTR to their caller.
#pragma once

#include <localsock/handle.hpp>

#include <cerrno>
#include <cstddef>
#include <span>
#include <system_error>

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

namespace localsock::posix {

inline std::error_code last_error() noexcept { return {errno, std::system_category()}; }

template <class Call>
auto retry_on_eintr(Call call) noexcept {
    decltype(call()) result;
    do {
        result = call();
    } while (result == -1 && errno == EINTR);
    return result;
}

// A new AF_UNIX socket of `type` (SOCK_STREAM...), close-on-exec, SIGPIPE-free.
OwnedHandle open_socket(int type, std::error_code& ec) noexcept;
// A connected AF_UNIX pair of `type`, both ends like open_socket's.
bool open_socket_pair(int type, OwnedHandle& first, OwnedHandle& second, std::error_code& ec) noexcept;
// The next pending connection, close-on-exec, SIGPIPE-free; blocking, or
// non-blocking from the start if `nonblocking` (accept4 SOCK_NONBLOCK: no
// extra system call). A signal does not stretch the listener's SO_RCVTIMEO.
// `timed`: an accept timeout was set through localsock (deadline.hpp).
// `listener_nonblocking`: localsock made the listener non-blocking, so
// EAGAIN is would_block without asking the descriptor.
OwnedHandle accept_connection(int listener, bool nonblocking, bool timed, bool listener_nonblocking,
                              std::error_code& ec) noexcept;

// Makes an adopted descriptor follow the discipline (close-on-exec, no SIGPIPE).
bool adopt_descriptor(int fd, std::error_code& ec) noexcept;

#if defined(MSG_NOSIGNAL)
inline constexpr int no_sigpipe_flag = MSG_NOSIGNAL;
#else
inline constexpr int no_sigpipe_flag = 0; // SO_NOSIGPIPE is set on the socket instead
#endif

// recvmsg with close-on-exec for every received descriptor where the kernel
// can do it atomically. When it cannot (received_descriptors_need_cloexec),
// the caller sets FD_CLOEXEC on each one with set_cloexec.
#if defined(MSG_CMSG_CLOEXEC)
inline constexpr int cloexec_receive_flag = MSG_CMSG_CLOEXEC;
#else
inline constexpr int cloexec_receive_flag = 0;
#endif
inline constexpr bool received_descriptors_need_cloexec = cloexec_receive_flag == 0;

// The per-message calls, inline: they are on every read and write. They do
// not retry EINTR: transfer() (socket_core.hpp) does, within the timeout.
// `flags` adds MSG_PEEK, MSG_TRUNC... to what the discipline sets.
inline ssize_t receive_message(int fd, msghdr& message, int flags = 0) noexcept {
    return ::recvmsg(fd, &message, cloexec_receive_flag | flags);
}
inline ssize_t send_message(int fd, const msghdr& message) noexcept { // sendmsg, no SIGPIPE
    return ::sendmsg(fd, &message, no_sigpipe_flag);
}
inline ssize_t send_bytes(int fd, const void* data, std::size_t size) noexcept { // send, no SIGPIPE
    return ::send(fd, data, size, no_sigpipe_flag);
}
inline ssize_t receive_bytes(int fd, void* data, std::size_t size, int flags = 0) noexcept { // recv
    return ::recv(fd, data, size, flags);
}

// At most this many buffers go to one readv/sendmsg/recvmsg.
inline constexpr std::size_t max_iovecs = 64;

// The first max_iovecs buffers as iovecs (MutableBuffer/ConstBuffer have
// iovec's layout but not its type); returns how many were taken.
template <class Buffer>
std::size_t to_iovecs(std::span<const Buffer> buffers, iovec (&out)[max_iovecs]) noexcept {
    const std::size_t count = buffers.size() < max_iovecs ? buffers.size() : max_iovecs;
    for (std::size_t i = 0; i < count; ++i)
        out[i] = iovec{const_cast<void*>(static_cast<const void*>(buffers[i].data())), buffers[i].size()};
    return count;
}

// getsockopt into a value of the option's own type.
template <class T>
bool get_socket_option(int fd, int level, int option, T& value, std::error_code& ec) noexcept {
    socklen_t length = sizeof value;
    if (::getsockopt(fd, level, option, &value, &length) != 0) {
        ec = last_error();
        return false;
    }
    return true;
}

// Closes `handle` now and reports close(2)'s error, except EINTR: the
// descriptor is gone then too (Linux), and retrying could close a reused one.
void close_descriptor(OwnedHandle& handle, std::error_code& ec) noexcept;

bool set_cloexec(int fd, std::error_code& ec) noexcept;
bool set_nonblocking(int fd, bool nonblocking, std::error_code& ec) noexcept;
bool is_nonblocking(int fd) noexcept;

// EAGAIN from a call on fd, as the portable condition. Decided by the
// descriptor's real state at that moment (an event loop may have set
// O_NONBLOCK on native_handle()), not by a remembered flag: would_block in
// non-blocking mode, the expiry of SO_RCVTIMEO / SO_SNDTIMEO otherwise.
// Only on the error path, so it costs the normal path nothing.
std::error_code would_block_or_timed_out(int fd) noexcept;

} // namespace localsock::posix
