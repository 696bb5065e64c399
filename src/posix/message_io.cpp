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

// Whether SO_PASSCRED is on (false where the platform lacks it, or on error).
bool passcred_on(int fd) noexcept {
#if defined(SO_PASSCRED)
    int on = 0;
    std::error_code ignored;
    return get_socket_option(fd, SOL_SOCKET, SO_PASSCRED, on, ignored) && on != 0;
#else
    (void)fd;
    return false;
#endif
}

// What heads a seqpacket socket's receive queue, looked at without taking
// anything and without waiting.
enum class QueueHead { nothing /* empty, peer still there */, message, end };

// Peeks at the head with SO_PASSCRED on: Linux attaches SCM_CREDENTIALS to
// every message received while it is on (an empty one too, whenever it was
// sent) and none to the end of the stream, which is what tells a 0-byte
// message from the end. The option is switched on only for this peek, and
// only if it was off. Descriptors the peek installs are closed.
QueueHead peek_queue_head(int fd, bool already_on) noexcept {
#if defined(SO_PASSCRED)
    const int on = 1, off = 0;
    const bool toggled = !already_on && ::setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) == 0;
#else
    (void)already_on;
#endif
    ControlBuffer control;
    msghdr probe{};
    probe.msg_control = control.bytes;
    probe.msg_controllen = receive_control_space(1);
    const ssize_t n = receive_message(fd, probe, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC);
    const int error = errno;
#if defined(SO_PASSCRED)
    if (toggled)
        ::setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &off, sizeof off);
#endif
    if (n < 0)
        return error == EAGAIN || error == EWOULDBLOCK ? QueueHead::nothing : QueueHead::end;
    const ArrivedDescriptors peeked(probe); // closes what the peek installed
    if (n > 0 || probe.msg_controllen != 0 || (probe.msg_flags & MSG_CTRUNC) != 0)
        return QueueHead::message;
    return QueueHead::end;
}

// A seqpacket recvmsg returned 0: the end of the stream, or an empty message
// from a foreign peer (localsock never sends one; Python's send(b"") does).
// The end carries no control data and sets no flag; a message may. With
// nothing to tell them apart in the result, the queue does: the end leaves
// it empty for good (a peer that shut down sends nothing more), so anything
// still queued, or a peer still connected, means a message was taken. Only
// a message with neither data nor control data that was the peer's last
// before it closed reads as the end — the receiver loses no data or handle;
// with set_receive_credentials(true) even that one is told apart.
// Out of line: only this rare path pays.
[[gnu::noinline]] bool zero_is_end_of_stream(int fd, const msghdr& message) noexcept {
    if (message.msg_controllen != 0 || (message.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) != 0)
        return false;
    if (passcred_on(fd))
        return true; // a message would have come with credentials
    return peek_queue_head(fd, false) == QueueHead::end;
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
    if (n == 0 && kind == Boundaries::seqpacket && !zero_is_end_of_stream(core->fd(), message))
        [[unlikely]] {
        const ArrivedDescriptors refused(message); // an empty message's handles are closed
        ec = errc::empty_message;
        return {};
    }
    if (from != nullptr)
        from->length = message.msg_namelen;
    ReceiveResult result;
    result.bytes = n < capacity ? n : capacity;
    result.message_size = n;
    result.data_truncated = kind != Boundaries::stream && (message.msg_flags & MSG_TRUNC) != 0;
    return result;
}

// Why a receive's handles were closed. MSG_CTRUNC with room left in the
// control buffer means the kernel could not install a descriptor: the
// process is out of them (EMFILE/ENFILE), which a bigger buffer or a higher
// max_handles_per_receive() would not cure. Only the truncation path asks.
std::error_code truncation_error(const msghdr& message, const ArrivedDescriptors& arrived, std::size_t capacity,
                                 errc otherwise) noexcept {
    if ((message.msg_flags & MSG_CTRUNC) != 0 && arrived.stopped_with_room(capacity))
        return errc::out_of_handles;
    return otherwise;
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
        ec = truncation_error(message, arrived, receive_control_space(limit), errc::handles_truncated);
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
        ec = truncation_error(message, arrived, ancillary::capacity, errc::control_truncated);
    }
    return result;
}

std::size_t next_message_size(SocketCore* core, Boundaries kind, std::error_code& ec) noexcept {
    detail::clear(ec);
#if defined(__linux__)
    for (;;) {
        char probe;
        const std::size_t size =
            transfer(core, Wait::receive, ec, [&](int fd) { return receive_bytes(fd, &probe, 1, MSG_PEEK | MSG_TRUNC); });
        if (ec || size != 0 || kind != Boundaries::seqpacket)
            return size;
        // 0: the end, or an empty message at the head (see zero_is_end_of_stream).
        switch (peek_queue_head(core->fd(), passcred_on(core->fd()))) {
        case QueueHead::end: return 0;
        case QueueHead::message: ec = errc::empty_message; return 0;
        case QueueHead::nothing: break; // another thread took it: wait for the next
        }
    }
#else
    (void)core;
    (void)kind;
    ec = std::make_error_code(std::errc::not_supported);
    return 0;
#endif
}

} // namespace localsock::posix
