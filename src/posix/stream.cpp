// LocalStream on POSIX: connect, pair, adopt and byte I/O on AF_UNIX stream sockets.
#include "address.hpp"
#include "descriptor.hpp"
#include "stream_impl.hpp"
#include "../operation_error.hpp"

#include <localsock/error.hpp>

#include <algorithm>
#include <array>
#include <new>

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>

namespace localsock {
namespace {

constexpr std::size_t max_iovecs = 64;

std::unique_ptr<LocalStream::Impl> make_impl(OwnedHandle socket, LocalSocketName name, bool nonblocking,
                                             std::error_code& ec) noexcept {
    try {
        auto impl = std::make_unique<LocalStream::Impl>();
        impl->socket = std::move(socket);
        impl->name = std::move(name);
        impl->nonblocking = nonblocking;
        return impl;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return nullptr;
    }
}

// connect() interrupted by a signal keeps going in the kernel; retrying it
// would fail with EALREADY. Wait for the outcome instead.
bool connect_socket(int fd, const posix::SocketAddress& address, std::error_code& ec) noexcept {
    if (::connect(fd, address.get(), address.length) == 0)
        return true;
    if (errno != EINTR) {
        ec = posix::last_error();
        return false;
    }
    pollfd waiting{fd, POLLOUT, 0};
    if (posix::retry_on_eintr([&] { return ::poll(&waiting, 1, -1); }) < 0) {
        ec = posix::last_error();
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

template <class Buffer>
std::size_t to_iovecs(std::span<const Buffer> buffers, std::array<iovec, max_iovecs>& out) noexcept {
    const std::size_t count = std::min(buffers.size(), out.size());
    for (std::size_t i = 0; i < count; ++i)
        out[i] = iovec{const_cast<void*>(static_cast<const void*>(buffers[i].data())), buffers[i].size()};
    return count;
}

bool set_timeout(int fd, int option, std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    if (timeout.count() < 0) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return false;
    }
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    if (::setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv) != 0) {
        ec = posix::last_error();
        return false;
    }
    return true;
}

} // namespace

LocalStream::LocalStream() noexcept = default;
LocalStream::LocalStream(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
LocalStream::LocalStream(LocalStream&&) noexcept = default;
LocalStream& LocalStream::operator=(LocalStream&&) noexcept = default;
LocalStream::~LocalStream() = default;

bool LocalStream::is_open() const noexcept { return impl_ && impl_->socket.valid(); }

const LocalSocketName& LocalStream::name() const noexcept {
    static const LocalSocketName none;
    return impl_ ? impl_->name : none;
}

LocalStream LocalStream::connect(const LocalSocketName& name, const ConnectOptions& options,
                                 std::error_code& ec) noexcept {
    detail::clear(ec);
    if (name.empty()) {
        ec = errc::empty_name;
        return {};
    }
    const posix::SocketAddress address = posix::to_address(name);
    OwnedHandle socket = posix::open_socket(SOCK_STREAM, ec);
    if (ec || !connect_socket(socket.get(), address, ec))
        return {};
    LocalSocketName copy;
    try {
        copy = name;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
    auto impl = make_impl(std::move(socket), std::move(copy), false, ec);
    if (impl)
        impl->handle_passing = options.handle_passing;
    return LocalStream(std::move(impl));
}

std::pair<LocalStream, LocalStream> LocalStream::pair(std::error_code& ec) noexcept {
    detail::clear(ec);
    OwnedHandle first, second;
    if (!posix::open_socket_pair(SOCK_STREAM, first, second, ec))
        return {};
    auto a = make_impl(std::move(first), {}, false, ec);
    auto b = make_impl(std::move(second), {}, false, ec);
    if (ec)
        return {};
    return {LocalStream(std::move(a)), LocalStream(std::move(b))};
}

LocalStream LocalStream::adopt(OwnedHandle handle, std::error_code& ec) noexcept {
    detail::clear(ec);
    const int fd = handle.get();
    int type = 0;
    socklen_t type_length = sizeof type;
    sockaddr_un local{};
    socklen_t local_length = sizeof local;
    sockaddr_un peer{};
    socklen_t peer_length = sizeof peer;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_length) != 0 || type != SOCK_STREAM ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) != 0 ||
        local.sun_family != AF_UNIX ||
        ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length) != 0) {
        ec = errc::not_a_local_stream;
        return {};
    }
    if (!posix::adopt_descriptor(fd, ec))
        return {};
    return LocalStream(make_impl(std::move(handle), {}, posix::is_nonblocking(fd), ec));
}

std::size_t LocalStream::read_some(MutableBuffer buffer, std::error_code& ec) noexcept {
    detail::clear(ec);
    if (buffer.size() == 0 && posix::is_open(impl_.get()))
        return 0; // recv would say 0, which means end of stream
    return posix::transfer(impl_.get(), ec,
                           [&](int fd) { return posix::receive_bytes(fd, buffer.data(), buffer.size()); });
}

std::size_t LocalStream::read_some(std::span<const MutableBuffer> buffers, std::error_code& ec) noexcept {
    detail::clear(ec);
    std::array<iovec, max_iovecs> iov;
    msghdr message{};
    message.msg_iov = iov.data();
    message.msg_iovlen = to_iovecs(buffers, iov);
    if (message.msg_iovlen == 0 && posix::is_open(impl_.get()))
        return 0; // recvmsg would say 0, which means end of stream
    return posix::transfer(impl_.get(), ec, [&](int fd) { return posix::receive_message(fd, message); });
}

std::size_t LocalStream::write_some(ConstBuffer buffer, std::error_code& ec) noexcept {
    detail::clear(ec);
    return posix::transfer(impl_.get(), ec,
                           [&](int fd) { return posix::send_bytes(fd, buffer.data(), buffer.size()); });
}

std::size_t LocalStream::write_some(std::span<const ConstBuffer> buffers, std::error_code& ec) noexcept {
    detail::clear(ec);
    std::array<iovec, max_iovecs> iov;
    msghdr message{};
    message.msg_iov = iov.data();
    message.msg_iovlen = to_iovecs(buffers, iov);
    return posix::transfer(impl_.get(), ec, [&](int fd) { return posix::send_message(fd, message); });
}

void LocalStream::shutdown(Shutdown how, std::error_code& ec) noexcept {
    detail::clear(ec);
    if (!posix::is_open(impl_.get())) {
        ec = posix::not_open();
        return;
    }
    const int mode = how == Shutdown::read ? SHUT_RD : how == Shutdown::write ? SHUT_WR : SHUT_RDWR;
    if (::shutdown(impl_->fd(), mode) != 0)
        ec = posix::last_error();
}

void LocalStream::set_read_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    detail::clear(ec);
    if (!is_open())
        ec = posix::not_open();
    else
        set_timeout(impl_->fd(), SO_RCVTIMEO, timeout, ec);
}

void LocalStream::set_write_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    detail::clear(ec);
    if (!is_open())
        ec = posix::not_open();
    else
        set_timeout(impl_->fd(), SO_SNDTIMEO, timeout, ec);
}

void LocalStream::set_nonblocking(bool nonblocking, std::error_code& ec) noexcept {
    detail::clear(ec);
    if (!is_open())
        ec = posix::not_open();
    else if (posix::set_nonblocking(impl_->fd(), nonblocking, ec))
        impl_->nonblocking = nonblocking;
}

std::size_t LocalStream::max_handles_per_receive() const noexcept {
    return impl_ ? impl_->max_handles : max_handles_per_message;
}

void LocalStream::set_max_handles_per_receive(std::size_t limit, std::error_code& ec) noexcept {
    detail::clear(ec);
    if (!is_open())
        ec = posix::not_open();
    else if (limit > max_handles_per_message)
        ec = errc::too_many_handles;
    else
        impl_->max_handles = limit;
}

native_handle_type LocalStream::native_handle() const noexcept {
    return impl_ ? impl_->fd() : invalid_native_handle;
}

OwnedHandle LocalStream::release() noexcept {
    OwnedHandle socket = impl_ ? std::move(impl_->socket) : OwnedHandle();
    impl_.reset();
    return socket;
}

} // namespace localsock
