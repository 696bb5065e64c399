// LocalDatagram: the portable layer — single-buffer adapters and the throwing
// forms, over the backend's error-code primitives (src/<platform>/datagram.cpp).
#include "operation_error.hpp"

#include <localsock/datagram.hpp>
#include <localsock/error.hpp>

namespace localsock {

using detail::or_throw;
using detail::or_throw_opening;

// --- adapters -------------------------------------------------------------------

void LocalDatagram::send_to(const LocalSocketName& to, ConstBuffer datagram, std::span<const BorrowedHandle> handles,
                            std::error_code& ec) noexcept {
    send_to(to, std::span<const ConstBuffer>(&datagram, 1), handles, ec);
}
void LocalDatagram::send_to(const LocalSocketName& to, ConstBuffer datagram, std::error_code& ec) noexcept {
    send_to(to, std::span<const ConstBuffer>(&datagram, 1), {}, ec);
}
void LocalDatagram::send_to(const LocalSocketName& to, ConstBuffer datagram,
                            std::initializer_list<BorrowedHandle> handles, std::error_code& ec) noexcept {
    send_to(to, datagram, std::span<const BorrowedHandle>(handles.begin(), handles.size()), ec);
}
void LocalDatagram::send(ConstBuffer datagram, std::initializer_list<BorrowedHandle> handles,
                         std::error_code& ec) noexcept {
    send(datagram, std::span<const BorrowedHandle>(handles.begin(), handles.size()), ec);
}
void LocalDatagram::send(ConstBuffer datagram, std::error_code& ec) noexcept {
    send(std::span<const ConstBuffer>(&datagram, 1), {}, ec);
}
void LocalDatagram::send(ConstBuffer datagram, std::span<const BorrowedHandle> handles, std::error_code& ec) noexcept {
    send(std::span<const ConstBuffer>(&datagram, 1), handles, ec);
}
ReceiveResult LocalDatagram::receive(MutableBuffer buffer, std::vector<OwnedHandle>& handles,
                                     std::error_code& ec) noexcept {
    return receive(std::span<const MutableBuffer>(&buffer, 1), handles, ec);
}

// --- throwing forms ---------------------------------------------------------------

LocalDatagram LocalDatagram::bind(const LocalSocketName& name, std::error_code& ec) noexcept {
    return bind(name, DatagramOptions{}, ec);
}
LocalDatagram LocalDatagram::bind(const LocalSocketName& name, const DatagramOptions& options) {
    return or_throw_opening("bind datagram", name, [&](std::error_code& ec) { return bind(name, options, ec); });
}
LocalDatagram LocalDatagram::unbound() {
    return or_throw_opening("open datagram", {}, [&](std::error_code& ec) { return unbound(ec); });
}
LocalDatagram LocalDatagram::autobind() {
    return or_throw_opening("autobind datagram", {}, [&](std::error_code& ec) { return autobind(ec); });
}
std::pair<LocalDatagram, LocalDatagram> LocalDatagram::pair() {
    return or_throw_opening("datagram pair", {}, [&](std::error_code& ec) { return pair(ec); });
}
LocalDatagram LocalDatagram::adopt(OwnedHandle handle) {
    return or_throw_opening("adopt datagram", {}, [&](std::error_code& ec) { return adopt(std::move(handle), ec); });
}

void LocalDatagram::connect(const LocalSocketName& peer) {
    std::error_code ec = detail::no_error();
    connect(peer, ec);
    detail::throw_if_error(ec, "connect datagram", peer);
}

// Errors of addressed sends name the destination.
void LocalDatagram::send_to(const LocalSocketName& to, ConstBuffer datagram, std::span<const BorrowedHandle> handles) {
    or_throw_opening("send to", to, [&](std::error_code& ec) { send_to(to, datagram, handles, ec); });
}
void LocalDatagram::send_to(const LocalSocketName& to, ConstBuffer datagram,
                            std::initializer_list<BorrowedHandle> handles) {
    or_throw_opening("send to", to, [&](std::error_code& ec) { send_to(to, datagram, handles, ec); });
}
void LocalDatagram::send_to(const LocalSocketName& to, std::span<const ConstBuffer> parts,
                            std::span<const BorrowedHandle> handles) {
    or_throw_opening("send to", to, [&](std::error_code& ec) { send_to(to, parts, handles, ec); });
}
void LocalDatagram::send_to(const LocalSocketName& to, ConstBuffer datagram, const ancillary::Builder& control) {
    or_throw_opening("send to", to, [&](std::error_code& ec) { send_to(to, datagram, control, ec); });
}

ReceiveResult LocalDatagram::receive_from(MutableBuffer buffer, LocalSocketName& sender) {
    return or_throw(*this, "receive", [&](std::error_code& ec) { return receive_from(buffer, sender, ec); });
}
ReceiveResult LocalDatagram::receive_from(MutableBuffer buffer, LocalSocketName& sender,
                                          std::vector<OwnedHandle>& handles) {
    return or_throw(*this, "receive", [&](std::error_code& ec) { return receive_from(buffer, sender, handles, ec); });
}
ReceiveResult LocalDatagram::receive_from(MutableBuffer buffer, LocalSocketName& sender, ancillary::Received& control,
                                          ReceiveFlags flags) {
    return or_throw(*this, "receive",
                    [&](std::error_code& ec) { return receive_from(buffer, sender, control, flags, ec); });
}

void LocalDatagram::send(ConstBuffer datagram, std::span<const BorrowedHandle> handles) {
    or_throw(*this, "send", [&](std::error_code& ec) { send(datagram, handles, ec); });
}
void LocalDatagram::send(ConstBuffer datagram, std::initializer_list<BorrowedHandle> handles) {
    or_throw(*this, "send", [&](std::error_code& ec) { send(datagram, handles, ec); });
}
void LocalDatagram::send(std::span<const ConstBuffer> parts, std::span<const BorrowedHandle> handles) {
    or_throw(*this, "send", [&](std::error_code& ec) { send(parts, handles, ec); });
}
void LocalDatagram::send(ConstBuffer datagram, const ancillary::Builder& control) {
    or_throw(*this, "send", [&](std::error_code& ec) { send(datagram, control, ec); });
}
ReceiveResult LocalDatagram::receive(MutableBuffer buffer) {
    return or_throw(*this, "receive", [&](std::error_code& ec) { return receive(buffer, ec); });
}
ReceiveResult LocalDatagram::receive(MutableBuffer buffer, std::vector<OwnedHandle>& handles) {
    return or_throw(*this, "receive", [&](std::error_code& ec) { return receive(buffer, handles, ec); });
}
ReceiveResult LocalDatagram::receive(std::span<const MutableBuffer> parts, std::vector<OwnedHandle>& handles) {
    return or_throw(*this, "receive", [&](std::error_code& ec) { return receive(parts, handles, ec); });
}
ReceiveResult LocalDatagram::receive(MutableBuffer buffer, ancillary::Received& control, ReceiveFlags flags) {
    return or_throw(*this, "receive", [&](std::error_code& ec) { return receive(buffer, control, flags, ec); });
}
std::size_t LocalDatagram::next_message_size() {
    return or_throw(*this, "next message size", [&](std::error_code& ec) { return next_message_size(ec); });
}

void LocalDatagram::set_max_handles_per_receive(std::size_t limit) {
    or_throw(*this, "set handle limit", [&](std::error_code& ec) { set_max_handles_per_receive(limit, ec); });
}
void LocalDatagram::set_read_timeout(std::chrono::milliseconds timeout) {
    or_throw(*this, "set read timeout", [&](std::error_code& ec) { set_read_timeout(timeout, ec); });
}
void LocalDatagram::set_write_timeout(std::chrono::milliseconds timeout) {
    or_throw(*this, "set write timeout", [&](std::error_code& ec) { set_write_timeout(timeout, ec); });
}
void LocalDatagram::close() { detail::close_or_throw(*this); }

void LocalDatagram::set_nonblocking(bool nonblocking) {
    or_throw(*this, "set non-blocking", [&](std::error_code& ec) { set_nonblocking(nonblocking, ec); });
}
void LocalDatagram::set_receive_credentials(bool enabled) {
    or_throw(*this, "receive credentials", [&](std::error_code& ec) { set_receive_credentials(enabled, ec); });
}
void LocalDatagram::set_receive_timestamps(bool enabled) {
    or_throw(*this, "receive timestamps", [&](std::error_code& ec) { set_receive_timestamps(enabled, ec); });
}

} // namespace localsock
