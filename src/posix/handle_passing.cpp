// LocalStream::send / receive on POSIX: bytes with SCM_RIGHTS descriptors or
// any control messages, through the one sendmsg/recvmsg path of every socket
// type (message_io.cpp).
#include "message_io.hpp"
#include "stream_impl.hpp"
#include "../operation_error.hpp"

#include <localsock/error.hpp>

namespace localsock {
namespace {

constexpr auto boundaries = posix::Boundaries::stream;

// Control data rides on the first byte of the sendmsg that carried it. If
// that call sent only part of the bytes, the rest follows as plain data:
// attaching the control data again would deliver it twice.
std::size_t send_rest(LocalStream& stream, ConstBuffer bytes, std::size_t sent, std::error_code& ec) noexcept {
    if (ec || sent == bytes.size())
        return sent;
    const auto* rest = static_cast<const std::byte*>(bytes.data()) + sent;
    return sent + stream.write_all(ConstBuffer(rest, bytes.size() - sent), ec);
}

} // namespace

// Lent or owned, a handle is one descriptor: one body serves both spans
// without copying them into a common type first.
template <class Handle>
std::size_t LocalStream::send_handles(ConstBuffer bytes, std::span<const Handle> handles,
                                      std::error_code& ec) noexcept {
    detail::clear(ec);
    if (handles.empty())
        return write_all(bytes, ec);
    const std::size_t sent =
        posix::send_message(impl_.get(), boundaries, std::span<const ConstBuffer>(&bytes, 1), nullptr, handles, ec);
    return send_rest(*this, bytes, sent, ec);
}

std::size_t LocalStream::send(ConstBuffer bytes, std::span<const BorrowedHandle> handles,
                              std::error_code& ec) noexcept {
    return send_handles(bytes, handles, ec);
}

std::size_t LocalStream::send(ConstBuffer bytes, std::span<const OwnedHandle> handles,
                              std::error_code& ec) noexcept {
    return send_handles(bytes, handles, ec);
}

std::size_t LocalStream::send(ConstBuffer bytes, const ancillary::Builder& control, std::error_code& ec) noexcept {
    const std::size_t sent =
        posix::send_message(impl_.get(), boundaries, std::span<const ConstBuffer>(&bytes, 1), nullptr, control, ec);
    return send_rest(*this, bytes, sent, ec);
}

std::size_t LocalStream::receive(MutableBuffer buffer, std::vector<OwnedHandle>& handles,
                                 std::error_code& ec) noexcept {
    detail::clear(ec);
    if (buffer.size() == 0 && posix::is_open(impl_.get()))
        return 0; // recvmsg would say 0, which means end of stream
    return posix::receive_message(impl_.get(), boundaries, std::span<const MutableBuffer>(&buffer, 1), &handles,
                                  nullptr, ec)
        .bytes;
}

ReceiveResult LocalStream::receive(MutableBuffer buffer, ancillary::Received& control, ReceiveFlags flags,
                                   std::error_code& ec) noexcept {
    detail::clear(ec);
    if (buffer.size() == 0 && posix::is_open(impl_.get())) {
        control.clear(); // as after any receive: what an earlier one left is closed
        return {};        // recvmsg would take the control data with no byte and say 0: end of stream
    }
    return posix::receive_message(impl_.get(), boundaries, buffer, control, flags, nullptr, ec);
}

} // namespace localsock
