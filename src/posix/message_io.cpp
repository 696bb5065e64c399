// One message out, one message in (message_io.hpp).
#include "message_io.hpp"
#include "ancillary_access.hpp"
#include "control.hpp"
#include "descriptor.hpp"
#include "../operation_error.hpp"

#include <localsock/error.hpp>

#include <sys/socket.h>
#include <sys/uio.h>

namespace localsock::posix {
namespace {

// A message is one sendmsg: it cannot be split across calls as stream bytes
// can, so more parts than one call takes is an error, not a short write.
template <class Buffer>
bool message_iovecs(std::span<const Buffer> parts, iovec (&iov)[max_iovecs], msghdr& message, std::size_t& total,
                    std::error_code& ec) noexcept {
    message.msg_iov = iov;
    if (parts.size() == 1) { // the common case, without the loops
        iov[0] = iovec{const_cast<void*>(static_cast<const void*>(parts[0].data())), parts[0].size()};
        message.msg_iovlen = 1;
        total = parts[0].size();
        return true;
    }
    if (parts.size() > max_iovecs) {
        ec = std::make_error_code(std::errc::argument_list_too_long);
        return false;
    }
    message.msg_iovlen = to_iovecs(parts, iov);
    total = 0;
    for (const Buffer& part : parts)
        total += part.size();
    return true;
}

// The data and destination of an outgoing message.
bool address_parts(std::span<const ConstBuffer> parts, Destination to, iovec (&iov)[max_iovecs], msghdr& message,
                   std::size_t& total, std::error_code& ec) noexcept {
    if (!message_iovecs(parts, iov, message, total, ec))
        return false;
    if (to != nullptr) {
        message.msg_name = const_cast<sockaddr*>(to->get());
        message.msg_namelen = to->length;
    }
    return true;
}

// The common checks and the sendmsg itself; the control data is already in
// `message`. Inlined into both senders: it is on every message.
[[gnu::always_inline]] inline std::size_t send_prepared(SocketCore* core, Boundaries kind, std::size_t total, msghdr& message,
                          std::error_code& ec) noexcept {
    if (kind == Boundaries::seqpacket && total == 0) {
        ec = errc::empty_message;
        return 0;
    }
    if (kind == Boundaries::stream && total == 0 && message.msg_controllen != 0) {
        ec = errc::handles_need_data;
        return 0;
    }
    return transfer(core, Wait::send, ec, [&](int fd) { return send_message(fd, message); });
}

// recvmsg flags beyond the discipline's: MSG_TRUNC makes Linux return a
// message's full size (on a stream socket it would discard data instead).
int receive_flags(Boundaries kind, ReceiveFlags flags) noexcept {
    int result = has_flag(flags, ReceiveFlags::peek) ? MSG_PEEK : 0;
#if defined(__linux__)
    if (kind != Boundaries::stream)
        result |= MSG_TRUNC;
#else
    (void)kind;
#endif
    return result;
}

// The recvmsg itself; the sender's address goes straight into *from.
[[gnu::always_inline]] inline ReceiveResult receive_prepared(SocketCore* core, Boundaries kind, msghdr& message, std::size_t capacity,
                               int flags, SocketAddress* from, std::error_code& ec) noexcept {
    if (from != nullptr) {
        message.msg_name = &from->storage;
        message.msg_namelen = sizeof from->storage;
    }
    const std::size_t n = transfer(core, Wait::receive, ec, [&](int fd) { return receive_message(fd, message, flags); });
    if (ec)
        return {};
    if (from != nullptr)
        from->length = message.msg_namelen;
    ReceiveResult result;
    result.bytes = n < capacity ? n : capacity;
    result.message_size = n;
    result.data_truncated = kind != Boundaries::stream && (message.msg_flags & MSG_TRUNC) != 0;
    return result;
}

} // namespace

template <class Handle>
std::size_t send_message(SocketCore* core, Boundaries kind, std::span<const ConstBuffer> parts, Destination to,
                         std::span<const Handle> handles, std::error_code& ec) noexcept {
    detail::clear(ec);
    // The common message — one buffer, no handles, connected — is a plain
    // send(), as hand-written code would make it (cheaper than sendmsg).
    if (parts.size() == 1 && handles.empty() && to == nullptr && (kind != Boundaries::seqpacket || parts[0].size() != 0))
        return transfer(core, Wait::send, ec, [&](int fd) { return send_bytes(fd, parts[0].data(), parts[0].size()); });
    msghdr message{};
    iovec iov[max_iovecs];
    std::size_t total = 0;
    if (!address_parts(parts, to, iov, message, total, ec))
        return 0;
    ControlBuffer control;
    if (!handles.empty()) {
        if (is_open(core) && !core->handle_passing) {
            ec = errc::handle_passing_disabled;
            return 0;
        }
        if (handles.size() > max_handles_per_message) {
            ec = errc::too_many_handles;
            return 0;
        }
        message.msg_control = control.bytes;
        message.msg_controllen = write_rights(control, handles);
    }
    return send_prepared(core, kind, total, message, ec);
}

template std::size_t send_message<BorrowedHandle>(SocketCore*, Boundaries, std::span<const ConstBuffer>, Destination,
                                                  std::span<const BorrowedHandle>, std::error_code&) noexcept;
template std::size_t send_message<OwnedHandle>(SocketCore*, Boundaries, std::span<const ConstBuffer>, Destination,
                                               std::span<const OwnedHandle>, std::error_code&) noexcept;

std::size_t send_message(SocketCore* core, Boundaries kind, std::span<const ConstBuffer> parts, Destination to,
                         const ancillary::Builder& control, std::error_code& ec) noexcept {
    detail::clear(ec);
    msghdr message{};
    iovec iov[max_iovecs];
    std::size_t total = 0;
    if (!address_parts(parts, to, iov, message, total, ec))
        return 0;
    if (!control.empty()) {
        message.msg_control = const_cast<std::byte*>(control.bytes().data());
        message.msg_controllen = control.bytes().size();
    }
    return send_prepared(core, kind, total, message, ec);
}

ReceiveResult receive_message(SocketCore* core, Boundaries kind, std::span<const MutableBuffer> parts,
                              std::vector<OwnedHandle>* handles, SocketAddress* from, std::error_code& ec) noexcept {
    detail::clear(ec);
    msghdr message{};
    iovec iov[max_iovecs];
    std::size_t capacity = 0;
    if (!message_iovecs(parts, iov, message, capacity, ec))
        return {};
    const std::size_t limit = handles != nullptr && is_open(core) ? core->handle_limit() : 0;
    ControlBuffer control;
    message.msg_control = control.bytes;
    message.msg_controllen = receive_control_space(limit);
    ReceiveResult result = receive_prepared(core, kind, message, capacity, receive_flags(kind, {}), from, ec);
    if (ec)
        return result;

    ArrivedDescriptors arrived(message);
    if (arrived.size() == 0 && (message.msg_flags & MSG_CTRUNC) == 0)
        return result;
    // MSG_CTRUNC: the ones that fit were installed, the rest dropped. More
    // than the limit can also fit, since CMSG_SPACE rounds up. Either way the
    // message's handles are incomplete: close what came (the destructor
    // does) and say so; the data stays delivered.
    if ((message.msg_flags & MSG_CTRUNC) != 0 || arrived.size() > limit) {
        result.control_truncated = true;
        ec = errc::handles_truncated;
        return result;
    }
    if (received_descriptors_need_cloexec && !arrived.make_cloexec(ec))
        return result;
    arrived.hand_over(*handles, ec);
    return result;
}

ReceiveResult receive_message(SocketCore* core, Boundaries kind, MutableBuffer buffer, ancillary::Received& control,
                              ReceiveFlags flags, SocketAddress* from, std::error_code& ec) noexcept {
    detail::clear(ec);
    control.clear(); // closes what an earlier receive left in it
    iovec data{buffer.data(), buffer.size()};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = detail::AncillaryAccess::storage(control);
    message.msg_controllen = ancillary::capacity;
    ReceiveResult result = receive_prepared(core, kind, message, buffer.size(), receive_flags(kind, flags), from, ec);
    if (ec)
        return result; // `control` stays empty
    ArrivedDescriptors arrived(message);
    const bool truncated = (message.msg_flags & MSG_CTRUNC) != 0 || arrived.size() > core->handle_limit();
    bool owned = !truncated; // on truncation the destructor of `arrived` closes them all
    if (owned && received_descriptors_need_cloexec && !arrived.make_cloexec(ec))
        owned = false;
    if (owned)
        arrived.keep();
    detail::AncillaryAccess::set_received(control, message.msg_controllen, truncated, owned);
    if (truncated) {
        result.control_truncated = true;
        ec = errc::control_truncated;
    }
    return result;
}

std::size_t next_message_size(SocketCore* core, std::error_code& ec) noexcept {
    detail::clear(ec);
#if defined(__linux__)
    char probe;
    return transfer(core, Wait::receive, ec, [&](int fd) { return receive_bytes(fd, &probe, 1, MSG_PEEK | MSG_TRUNC); });
#else
    (void)core;
    ec = std::make_error_code(std::errc::not_supported);
    return 0;
#endif
}

} // namespace localsock::posix
