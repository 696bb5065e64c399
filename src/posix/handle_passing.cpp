// LocalStream::send / receive on POSIX: descriptors as SCM_RIGHTS ancillary data.
#include "control.hpp"
#include "descriptor.hpp"
#include "message_io.hpp"
#include "stream_impl.hpp"
#include "../operation_error.hpp"

#include <localsock/error.hpp>


#include <sys/socket.h>
#include <sys/uio.h>

namespace localsock {

// Lent or owned, a handle is one descriptor: one body serves both spans
// without copying them into a common type first.
template <class Handle>
std::size_t LocalStream::send_handles(ConstBuffer bytes, std::span<const Handle> handles,
                                      std::error_code& ec) noexcept {
    detail::clear(ec);
    if (handles.empty())
        return write_all(bytes, ec);
    if (!posix::is_open(impl_.get())) {
        ec = posix::not_open();
        return 0;
    }
    if (!impl_->handle_passing) {
        ec = errc::handle_passing_disabled;
        return 0;
    }
    if (bytes.size() == 0) {
        ec = errc::handles_need_data;
        return 0;
    }
    if (handles.size() > max_handles_per_message) {
        ec = errc::too_many_handles;
        return 0;
    }

    posix::ControlBuffer control;
    iovec data{const_cast<void*>(bytes.data()), bytes.size()};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control.bytes;
    message.msg_controllen = posix::write_rights(control, handles);

    const std::size_t sent =
        posix::transfer(impl_.get(), ec, [&](int fd) { return posix::send_message(fd, message); });
    // The descriptors went with the first byte. The rest follows as plain
    // data: attaching them again would deliver them twice.
    if (ec || sent == bytes.size())
        return sent;
    const auto* rest = static_cast<const std::byte*>(bytes.data()) + sent;
    return sent + write_all(ConstBuffer(rest, bytes.size() - sent), ec);
}

std::size_t LocalStream::send(ConstBuffer bytes, std::span<const BorrowedHandle> handles,
                              std::error_code& ec) noexcept {
    return send_handles(bytes, handles, ec);
}

std::size_t LocalStream::send(ConstBuffer bytes, std::span<const OwnedHandle> handles,
                              std::error_code& ec) noexcept {
    return send_handles(bytes, handles, ec);
}

std::size_t LocalStream::receive(MutableBuffer buffer, std::vector<OwnedHandle>& handles,
                                 std::error_code& ec) noexcept {
    detail::clear(ec);
    if (!posix::is_open(impl_.get())) {
        ec = posix::not_open();
        return 0;
    }
    if (buffer.size() == 0)
        return 0; // recvmsg would say 0, which means end of stream

    posix::ControlBuffer control;
    iovec data{buffer.data(), buffer.size()};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control.bytes;
    const std::size_t limit = impl_->handle_passing ? impl_->max_handles : 0;
    message.msg_controllen = posix::receive_control_space(limit);
    const std::size_t n =
        posix::transfer(impl_.get(), ec, [&](int fd) { return posix::receive_message(fd, message); });
    if (ec)
        return 0;

    posix::ArrivedDescriptors arrived(message);
    if (arrived.size() == 0 && (message.msg_flags & MSG_CTRUNC) == 0)
        return n;
    // MSG_CTRUNC: the ones that fit were installed, the rest dropped. More
    // than the limit can also fit, since CMSG_SPACE rounds up. Either way the
    // message is incomplete: close what came (the destructor does) and say so.
    if ((message.msg_flags & MSG_CTRUNC) != 0 || arrived.size() > limit) {
        ec = errc::handles_truncated;
        return n;
    }
    if (posix::received_descriptors_need_cloexec && !arrived.make_cloexec(ec))
        return n;
    arrived.hand_over(handles, ec);
    return n;
}

// The control-message forms: one sendmsg/recvmsg each (message_io.cpp).
std::size_t LocalStream::send(ConstBuffer bytes, const ancillary::Builder& control, std::error_code& ec) noexcept {
    const std::size_t sent = posix::send_message(impl_.get(), posix::Boundaries::stream,
                                                 std::span<const ConstBuffer>(&bytes, 1), nullptr, control, ec);
    // As with handles: the control data went with the first byte; the rest
    // follows as plain data.
    if (ec || sent == bytes.size())
        return sent;
    const auto* rest = static_cast<const std::byte*>(bytes.data()) + sent;
    return sent + write_all(ConstBuffer(rest, bytes.size() - sent), ec);
}

ReceiveResult LocalStream::receive(MutableBuffer buffer, ancillary::Received& control, ReceiveFlags flags,
                                   std::error_code& ec) noexcept {
    return posix::receive_message(impl_.get(), posix::Boundaries::stream, buffer, control, flags, nullptr, ec);
}

} // namespace localsock
