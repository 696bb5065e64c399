// LocalSeqpacket and LocalSeqpacketListener on POSIX: AF_UNIX SOCK_SEQPACKET
// sockets. Everything but the socket type is shared with the other socket
// kinds (socket_core, message_io, listening_socket).
#include "listening_socket.hpp"
#include "message_io.hpp"
#include "socket_core.hpp"
#include "../operation_error.hpp"

#include <localsock/error.hpp>
#include <localsock/seqpacket.hpp>

#include <sys/socket.h>

namespace localsock {

struct LocalSeqpacket::Impl : posix::SocketCore {};
struct LocalSeqpacketListener::Impl : posix::ListeningSocket {};

namespace {
constexpr auto seqpacket_boundaries = posix::Boundaries::seqpacket;
}

LocalSeqpacket::LocalSeqpacket() noexcept = default;
LocalSeqpacket::LocalSeqpacket(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
LocalSeqpacket::LocalSeqpacket(LocalSeqpacket&&) noexcept = default;
LocalSeqpacket& LocalSeqpacket::operator=(LocalSeqpacket&&) noexcept = default;
LocalSeqpacket::~LocalSeqpacket() = default;

LocalSeqpacket LocalSeqpacket::connect(const LocalSocketName& name, const ConnectOptions& options,
                                       std::error_code& ec) noexcept {
    ec.clear();
    OwnedHandle socket = posix::connect_to(SOCK_SEQPACKET, name, options.nonblocking, ec);
    if (ec)
        return {};
    return LocalSeqpacket(posix::make_socket<Impl>(std::move(socket), name, options.handle_passing, ec, options.nonblocking));
}

std::pair<LocalSeqpacket, LocalSeqpacket> LocalSeqpacket::pair(std::error_code& ec) noexcept {
    ec.clear();
    auto [a, b] = posix::make_socket_pair<Impl>(SOCK_SEQPACKET, ec);
    if (ec)
        return {};
    return {LocalSeqpacket(std::move(a)), LocalSeqpacket(std::move(b))};
}

LocalSeqpacket LocalSeqpacket::adopt(OwnedHandle handle, std::error_code& ec) noexcept {
    ec.clear();
    const int fd = handle.get();
    if (!posix::is_local_socket(fd, SOCK_SEQPACKET, true)) {
        ec = errc::wrong_socket_type;
        return {};
    }
    if (!posix::adopt_descriptor(fd, ec))
        return {};
    return LocalSeqpacket(posix::make_socket<Impl>(std::move(handle), {}, true, ec));
}

bool LocalSeqpacket::is_open() const noexcept { return posix::is_open(impl_.get()); }

const LocalSocketName& LocalSeqpacket::name() const noexcept {
    static const LocalSocketName none;
    return impl_ ? impl_->name : none;
}

void LocalSeqpacket::send(std::span<const ConstBuffer> parts, std::span<const BorrowedHandle> handles,
                          std::error_code& ec) noexcept {
    posix::send_message(impl_.get(), seqpacket_boundaries, parts, nullptr, handles, ec);
}

void LocalSeqpacket::send(ConstBuffer message, const ancillary::Builder& control, std::error_code& ec) noexcept {
    posix::send_message(impl_.get(), seqpacket_boundaries, std::span<const ConstBuffer>(&message, 1), nullptr, control, ec);
}

ReceiveResult LocalSeqpacket::receive(MutableBuffer buffer, std::error_code& ec) noexcept {
    return posix::receive_message(impl_.get(), seqpacket_boundaries, std::span<const MutableBuffer>(&buffer, 1), nullptr,
                                  nullptr, ec);
}

ReceiveResult LocalSeqpacket::receive(std::span<const MutableBuffer> parts, std::vector<OwnedHandle>& handles,
                                      std::error_code& ec) noexcept {
    return posix::receive_message(impl_.get(), seqpacket_boundaries, parts, &handles, nullptr, ec);
}

ReceiveResult LocalSeqpacket::receive(MutableBuffer buffer, ancillary::Received& control, ReceiveFlags flags,
                                      std::error_code& ec) noexcept {
    return posix::receive_message(impl_.get(), seqpacket_boundaries, buffer, control, flags, nullptr, ec);
}

std::size_t LocalSeqpacket::next_message_size(std::error_code& ec) noexcept {
    return posix::next_message_size(impl_.get(), seqpacket_boundaries, ec);
}

std::size_t LocalSeqpacket::max_handles_per_receive() const noexcept {
    return impl_ ? impl_->max_handles : max_handles_per_message;
}
void LocalSeqpacket::set_max_handles_per_receive(std::size_t limit, std::error_code& ec) noexcept {
    posix::set_handle_limit(impl_.get(), limit, ec);
}
void LocalSeqpacket::shutdown(Shutdown how, std::error_code& ec) noexcept { posix::shutdown(impl_.get(), how, ec); }
void LocalSeqpacket::set_read_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    posix::set_timeout(impl_.get(), posix::Wait::receive, timeout, ec);
}
void LocalSeqpacket::set_write_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    posix::set_timeout(impl_.get(), posix::Wait::send, timeout, ec);
}
void LocalSeqpacket::set_nonblocking(bool nonblocking, std::error_code& ec) noexcept {
    posix::set_nonblocking(impl_.get(), nonblocking, ec);
}
void LocalSeqpacket::set_receive_credentials(bool enabled, std::error_code& ec) noexcept {
    posix::set_receive_credentials(impl_.get(), enabled, ec);
}
PeerCredentials LocalSeqpacket::peer_credentials(std::error_code& ec) const noexcept {
    return posix::peer_credentials(impl_.get(), ec);
}
OwnedHandle LocalSeqpacket::peer_process(std::error_code& ec) const noexcept {
    return posix::peer_process(impl_.get(), ec);
}

void LocalSeqpacket::close(std::error_code& ec) noexcept { posix::close_socket(impl_, ec); }

native_handle_type LocalSeqpacket::native_handle() const noexcept {
    return impl_ ? impl_->fd() : invalid_native_handle;
}

OwnedHandle LocalSeqpacket::release() noexcept {
    OwnedHandle socket = impl_ ? std::move(impl_->socket) : OwnedHandle();
    impl_.reset();
    return socket;
}

// --- listener -----------------------------------------------------------------------

LocalSeqpacketListener::LocalSeqpacketListener() noexcept = default;
LocalSeqpacketListener::LocalSeqpacketListener(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
LocalSeqpacketListener::LocalSeqpacketListener(LocalSeqpacketListener&&) noexcept = default;
LocalSeqpacketListener& LocalSeqpacketListener::operator=(LocalSeqpacketListener&&) noexcept = default;
LocalSeqpacketListener::~LocalSeqpacketListener() = default;

LocalSeqpacketListener LocalSeqpacketListener::bind(const LocalSocketName& name, const ListenerOptions& options,
                                                    std::error_code& ec) noexcept {
    ec.clear();
    return LocalSeqpacketListener(posix::open_listener<Impl>(SOCK_SEQPACKET, name, options, ec));
}

LocalSeqpacketListener LocalSeqpacketListener::adopt(OwnedHandle handle, std::error_code& ec) noexcept {
    ec.clear();
    return LocalSeqpacketListener(posix::adopt_listener<Impl>(SOCK_SEQPACKET, std::move(handle), ec));
}

bool LocalSeqpacketListener::is_open() const noexcept { return impl_ && impl_->socket.valid(); }

const LocalSocketName& LocalSeqpacketListener::local_name() const noexcept {
    static const LocalSocketName none;
    return impl_ ? impl_->name : none;
}

LocalSeqpacket LocalSeqpacketListener::accept(std::error_code& ec) noexcept {
    OwnedHandle client = posix::accept_next(impl_.get(), ec);
    if (ec)
        return {};
    return LocalSeqpacket(
        posix::make_socket<LocalSeqpacket::Impl>(std::move(client), impl_->name, impl_->handle_passing, ec,
                                                 impl_->nonblocking_accepted));
}

void LocalSeqpacketListener::set_accept_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    posix::set_accept_timeout(impl_.get(), timeout, ec);
}

void LocalSeqpacketListener::set_nonblocking(bool nonblocking, std::error_code& ec) noexcept {
    posix::set_listener_nonblocking(impl_.get(), nonblocking, ec);
}

void LocalSeqpacketListener::close(std::error_code& ec) noexcept { posix::close_socket(impl_, ec); }

native_handle_type LocalSeqpacketListener::native_handle() const noexcept {
    return impl_ ? impl_->socket.get() : invalid_native_handle;
}

OwnedHandle LocalSeqpacketListener::release() noexcept {
    OwnedHandle socket = posix::release_listening(impl_.get());
    impl_.reset();
    return socket;
}

} // namespace localsock
