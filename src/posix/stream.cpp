// LocalStream on POSIX: connect, pair, adopt and byte I/O on AF_UNIX stream sockets.
#include "descriptor.hpp"
#include "stream_impl.hpp"
#include "../operation_error.hpp"

#include <localsock/error.hpp>

#include <sys/socket.h>
#include <sys/uio.h>

namespace localsock {

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
    OwnedHandle socket = posix::connect_to(SOCK_STREAM, name, options.nonblocking, ec);
    if (ec)
        return {};
    return LocalStream(posix::make_socket<Impl>(std::move(socket), name, options.handle_passing, ec, options.nonblocking));
}

std::pair<LocalStream, LocalStream> LocalStream::pair(std::error_code& ec) noexcept {
    detail::clear(ec);
    auto [a, b] = posix::make_socket_pair<Impl>(SOCK_STREAM, ec);
    if (ec)
        return {};
    return {LocalStream(std::move(a)), LocalStream(std::move(b))};
}

LocalStream LocalStream::adopt(OwnedHandle handle, std::error_code& ec) noexcept {
    detail::clear(ec);
    const int fd = handle.get();
    if (!posix::is_local_socket(fd, SOCK_STREAM, true)) {
        ec = posix::is_local_socket_of_other_type(fd, SOCK_STREAM) ? errc::wrong_socket_type
                                                                    : errc::not_a_local_stream;
        return {};
    }
    if (!posix::adopt_descriptor(fd, ec))
        return {};
    return LocalStream(posix::make_socket<Impl>(std::move(handle), {}, true, ec));
}

std::size_t LocalStream::read_some(MutableBuffer buffer, std::error_code& ec) noexcept {
    detail::clear(ec);
    if (buffer.size() == 0 && posix::is_open(impl_.get()))
        return 0; // recv would say 0, which means end of stream
    return posix::transfer(impl_.get(), posix::Wait::receive, ec,
                           [&](int fd) { return posix::receive_bytes(fd, buffer.data(), buffer.size()); });
}

std::size_t LocalStream::read_some(std::span<const MutableBuffer> buffers, std::error_code& ec) noexcept {
    detail::clear(ec);
    iovec iov[posix::max_iovecs];
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = posix::to_iovecs(buffers, iov);
    if (message.msg_iovlen == 0 && posix::is_open(impl_.get()))
        return 0; // recvmsg would say 0, which means end of stream
    return posix::transfer(impl_.get(), posix::Wait::receive, ec, [&](int fd) { return posix::receive_message(fd, message); });
}

std::size_t LocalStream::write_some(ConstBuffer buffer, std::error_code& ec) noexcept {
    detail::clear(ec);
    return posix::transfer(impl_.get(), posix::Wait::send, ec,
                           [&](int fd) { return posix::send_bytes(fd, buffer.data(), buffer.size()); });
}

std::size_t LocalStream::write_some(std::span<const ConstBuffer> buffers, std::error_code& ec) noexcept {
    detail::clear(ec);
    iovec iov[posix::max_iovecs];
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = posix::to_iovecs(buffers, iov);
    return posix::transfer(impl_.get(), posix::Wait::send, ec, [&](int fd) { return posix::send_message(fd, message); });
}

void LocalStream::shutdown(Shutdown how, std::error_code& ec) noexcept { posix::shutdown(impl_.get(), how, ec); }

void LocalStream::set_read_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    posix::set_timeout(impl_.get(), posix::Wait::receive, timeout, ec);
}

void LocalStream::set_write_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    posix::set_timeout(impl_.get(), posix::Wait::send, timeout, ec);
}

void LocalStream::set_nonblocking(bool nonblocking, std::error_code& ec) noexcept {
    posix::set_nonblocking(impl_.get(), nonblocking, ec);
}

void LocalStream::set_receive_credentials(bool enabled, std::error_code& ec) noexcept {
    posix::set_receive_credentials(impl_.get(), enabled, ec);
}

std::size_t LocalStream::max_handles_per_receive() const noexcept {
    return impl_ ? impl_->max_handles : max_handles_per_message;
}

void LocalStream::set_max_handles_per_receive(std::size_t limit, std::error_code& ec) noexcept {
    posix::set_handle_limit(impl_.get(), limit, ec);
}

PeerCredentials LocalStream::peer_credentials(std::error_code& ec) const noexcept {
    return posix::peer_credentials(impl_.get(), ec);
}

OwnedHandle LocalStream::peer_process(std::error_code& ec) const noexcept {
    return posix::peer_process(impl_.get(), ec);
}

void LocalStream::close(std::error_code& ec) noexcept { posix::close_socket(impl_, ec); }

native_handle_type LocalStream::native_handle() const noexcept {
    return impl_ ? impl_->fd() : invalid_native_handle;
}

OwnedHandle LocalStream::release() noexcept {
    OwnedHandle socket = impl_ ? std::move(impl_->socket) : OwnedHandle();
    impl_.reset();
    return socket;
}

} // namespace localsock
