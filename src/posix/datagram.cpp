// LocalDatagram on POSIX: AF_UNIX SOCK_DGRAM sockets, bound, autobound or not.
#include "address.hpp"
#include "listening_socket.hpp"
#include "message_io.hpp"
#include "socket_core.hpp"
#include "../operation_error.hpp"

#include <localsock/datagram.hpp>
#include <localsock/error.hpp>

#include <cstddef>
#include <new>

#include <sys/socket.h>
#include <sys/un.h>

namespace localsock {

struct LocalDatagram::Impl : posix::SocketCore {
    LocalSocketName peer;                          // connected mode
    // A socket file bind() created; a member of the derived class, so it is
    // removed before the socket (in the base) closes, as for listeners.
    std::optional<posix::SocketFile> own_file;

    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
};

namespace {

constexpr auto datagram_boundaries = posix::Boundaries::datagram;

std::unique_ptr<LocalDatagram::Impl> open_datagram(const DatagramOptions& options, std::error_code& ec) noexcept {
    OwnedHandle socket = posix::open_socket(SOCK_DGRAM, ec);
    if (ec)
        return nullptr;
    return posix::make_socket<LocalDatagram::Impl>(std::move(socket), {}, options.handle_passing, ec);
}

// The address of a named destination, or an error for an empty name.
bool destination(const LocalSocketName& name, posix::SocketAddress& address, std::error_code& ec) noexcept {
    if (name.empty()) {
        ec = errc::empty_name;
        return false;
    }
    address = posix::to_address(name);
    return true;
}

// The sender's address as a name (empty: an unbound sender).
void assign_sender(const posix::SocketAddress& from, LocalSocketName& sender, std::error_code& ec) noexcept {
    try {
        posix::assign_from_address(from.storage, from.length, sender);
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    }
}

} // namespace

LocalDatagram::LocalDatagram() noexcept = default;
LocalDatagram::LocalDatagram(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
LocalDatagram::LocalDatagram(LocalDatagram&&) noexcept = default;
LocalDatagram& LocalDatagram::operator=(LocalDatagram&&) noexcept = default;
LocalDatagram::~LocalDatagram() = default;

LocalDatagram LocalDatagram::bind(const LocalSocketName& name, const DatagramOptions& options,
                                  std::error_code& ec) noexcept {
    ec.clear();
    if (name.empty()) {
        ec = errc::empty_name;
        return {};
    }
    auto impl = open_datagram(options, ec);
    if (!impl)
        return {};
    try {
        impl->name = name;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
    if (!posix::bind_to_name(impl->fd(), name, options.mode, options.reclaim_stale, std::nullopt, impl->own_file, ec))
        return {};
    return LocalDatagram(std::move(impl));
}

LocalDatagram LocalDatagram::unbound(std::error_code& ec) noexcept {
    ec.clear();
    return LocalDatagram(open_datagram({}, ec));
}

LocalDatagram LocalDatagram::autobind(std::error_code& ec) noexcept {
    ec.clear();
#if defined(__linux__)
    auto impl = open_datagram({}, ec);
    if (!impl)
        return {};
    // An address of the family alone: the kernel picks a unique abstract name.
    const sa_family_t family = AF_UNIX;
    if (::bind(impl->fd(), reinterpret_cast<const sockaddr*>(&family), sizeof family) != 0) {
        ec = posix::last_error();
        return {};
    }
    posix::SocketAddress bound;
    bound.length = sizeof bound.storage;
    if (::getsockname(impl->fd(), reinterpret_cast<sockaddr*>(&bound.storage), &bound.length) != 0) {
        ec = posix::last_error();
        return {};
    }
    assign_sender(bound, impl->name, ec);
    if (ec)
        return {};
    return LocalDatagram(std::move(impl));
#else
    ec = std::make_error_code(std::errc::not_supported);
    return {};
#endif
}

std::pair<LocalDatagram, LocalDatagram> LocalDatagram::pair(std::error_code& ec) noexcept {
    ec.clear();
    auto [a, b] = posix::make_socket_pair<Impl>(SOCK_DGRAM, ec);
    if (ec)
        return {};
    return {LocalDatagram(std::move(a)), LocalDatagram(std::move(b))};
}

LocalDatagram LocalDatagram::adopt(OwnedHandle handle, std::error_code& ec) noexcept {
    ec.clear();
    const int fd = handle.get();
    if (!posix::is_local_socket(fd, SOCK_DGRAM, false)) {
        ec = errc::wrong_socket_type;
        return {};
    }
    if (!posix::adopt_descriptor(fd, ec))
        return {};
    auto impl = posix::make_socket<Impl>(std::move(handle), {}, true, ec);
    if (!impl)
        return {};
    posix::SocketAddress bound;
    bound.length = sizeof bound.storage;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound.storage), &bound.length) == 0)
        assign_sender(bound, impl->name, ec);
    return ec ? LocalDatagram() : LocalDatagram(std::move(impl));
}

bool LocalDatagram::is_open() const noexcept { return posix::is_open(impl_.get()); }

const LocalSocketName& LocalDatagram::local_name() const noexcept {
    static const LocalSocketName none;
    return impl_ ? impl_->name : none;
}

const LocalSocketName& LocalDatagram::peer_name() const noexcept {
    static const LocalSocketName none;
    return impl_ ? impl_->peer : none;
}

void LocalDatagram::connect(const LocalSocketName& peer, std::error_code& ec) noexcept {
    ec.clear();
    posix::SocketAddress address;
    if (!is_open()) {
        ec = posix::not_open();
        return;
    }
    if (!destination(peer, address, ec))
        return;
    if (::connect(impl_->fd(), address.get(), address.length) != 0) {
        ec = posix::last_error();
        return;
    }
    try {
        impl_->peer = peer;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    }
}

void LocalDatagram::send_to(const LocalSocketName& to, std::span<const ConstBuffer> parts,
                            std::span<const BorrowedHandle> handles, std::error_code& ec) noexcept {
    ec.clear();
    posix::SocketAddress address;
    if (destination(to, address, ec))
        posix::send_message(impl_.get(), datagram_boundaries, parts, &address, handles, ec);
}

void LocalDatagram::send_to(const LocalSocketName& to, ConstBuffer datagram, const ancillary::Builder& control,
                            std::error_code& ec) noexcept {
    ec.clear();
    posix::SocketAddress address;
    if (destination(to, address, ec))
        posix::send_message(impl_.get(), datagram_boundaries, std::span<const ConstBuffer>(&datagram, 1), &address, control, ec);
}

ReceiveResult LocalDatagram::receive_from(MutableBuffer buffer, LocalSocketName& sender,
                                          std::error_code& ec) noexcept {
    posix::SocketAddress from;
    const ReceiveResult result = posix::receive_message(impl_.get(), datagram_boundaries, std::span<const MutableBuffer>(&buffer, 1),
                                                        nullptr, &from, ec);
    if (!ec || detail::is_receive_truncation(ec))
        assign_sender(from, sender, ec);
    return result;
}

ReceiveResult LocalDatagram::receive_from(MutableBuffer buffer, LocalSocketName& sender,
                                          std::vector<OwnedHandle>& handles, std::error_code& ec) noexcept {
    posix::SocketAddress from;
    const ReceiveResult result = posix::receive_message(impl_.get(), datagram_boundaries, std::span<const MutableBuffer>(&buffer, 1),
                                                        &handles, &from, ec);
    if (!ec || detail::is_receive_truncation(ec))
        assign_sender(from, sender, ec);
    return result;
}

ReceiveResult LocalDatagram::receive_from(MutableBuffer buffer, LocalSocketName& sender, ancillary::Received& control,
                                          ReceiveFlags flags, std::error_code& ec) noexcept {
    posix::SocketAddress from;
    const ReceiveResult result = posix::receive_message(impl_.get(), datagram_boundaries, buffer, control, flags, &from, ec);
    if (!ec || detail::is_receive_truncation(ec))
        assign_sender(from, sender, ec);
    return result;
}

void LocalDatagram::send(std::span<const ConstBuffer> parts, std::span<const BorrowedHandle> handles,
                         std::error_code& ec) noexcept {
    posix::send_message(impl_.get(), datagram_boundaries, parts, nullptr, handles, ec);
}

void LocalDatagram::send(ConstBuffer datagram, const ancillary::Builder& control, std::error_code& ec) noexcept {
    posix::send_message(impl_.get(), datagram_boundaries, std::span<const ConstBuffer>(&datagram, 1), nullptr, control, ec);
}

ReceiveResult LocalDatagram::receive(MutableBuffer buffer, std::error_code& ec) noexcept {
    return posix::receive_message(impl_.get(), datagram_boundaries, std::span<const MutableBuffer>(&buffer, 1), nullptr,
                                  nullptr, ec);
}

ReceiveResult LocalDatagram::receive(std::span<const MutableBuffer> parts, std::vector<OwnedHandle>& handles,
                                     std::error_code& ec) noexcept {
    return posix::receive_message(impl_.get(), datagram_boundaries, parts, &handles, nullptr, ec);
}

ReceiveResult LocalDatagram::receive(MutableBuffer buffer, ancillary::Received& control, ReceiveFlags flags,
                                     std::error_code& ec) noexcept {
    return posix::receive_message(impl_.get(), datagram_boundaries, buffer, control, flags, nullptr, ec);
}

std::size_t LocalDatagram::next_message_size(std::error_code& ec) noexcept {
    return posix::next_message_size(impl_.get(), datagram_boundaries, ec);
}

std::size_t LocalDatagram::max_handles_per_receive() const noexcept {
    return impl_ ? impl_->max_handles : max_handles_per_message;
}
void LocalDatagram::set_max_handles_per_receive(std::size_t limit, std::error_code& ec) noexcept {
    posix::set_handle_limit(impl_.get(), limit, ec);
}
void LocalDatagram::set_read_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    posix::set_timeout(impl_.get(), posix::Wait::receive, timeout, ec);
}
void LocalDatagram::set_write_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    posix::set_timeout(impl_.get(), posix::Wait::send, timeout, ec);
}
void LocalDatagram::set_nonblocking(bool nonblocking, std::error_code& ec) noexcept {
    posix::set_nonblocking(impl_.get(), nonblocking, ec);
}
void LocalDatagram::set_receive_credentials(bool enabled, std::error_code& ec) noexcept {
    posix::set_receive_credentials(impl_.get(), enabled, ec);
}
void LocalDatagram::set_receive_timestamps(bool enabled, std::error_code& ec) noexcept {
#if defined(SO_TIMESTAMPNS)
    posix::set_flag_option(impl_.get(), SOL_SOCKET, SO_TIMESTAMPNS, enabled, ec);
#else
    posix::set_flag_option(impl_.get(), SOL_SOCKET, SO_TIMESTAMP, enabled, ec);
#endif
}

void LocalDatagram::close(std::error_code& ec) noexcept { posix::close_socket(impl_, ec); }

native_handle_type LocalDatagram::native_handle() const noexcept {
    return impl_ ? impl_->fd() : invalid_native_handle;
}

OwnedHandle LocalDatagram::release() noexcept {
    if (!impl_)
        return {};
    if (impl_->own_file)
        impl_->own_file->forget(); // the file stays with whoever has the socket now
    impl_->own_file.reset();
    OwnedHandle socket = std::move(impl_->socket);
    impl_.reset();
    return socket;
}

} // namespace localsock
