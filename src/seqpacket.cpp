// LocalSeqpacket and LocalSeqpacketListener: the portable layer — handle-list
// and single-buffer adapters and the throwing forms, over the backend's
// error-code primitives (src/<platform>/seqpacket.cpp).
#include "handle_lists.hpp"
#include "operation_error.hpp"

#include <localsock/error.hpp>
#include <localsock/seqpacket.hpp>

namespace localsock {

using detail::or_throw;
using detail::or_throw_opening;

// --- adapters -------------------------------------------------------------------

void LocalSeqpacket::send(ConstBuffer message, std::error_code& ec) noexcept {
    send(std::span<const ConstBuffer>(&message, 1), {}, ec);
}
void LocalSeqpacket::send(ConstBuffer message, std::span<const BorrowedHandle> handles, std::error_code& ec) noexcept {
    send(std::span<const ConstBuffer>(&message, 1), handles, ec);
}
void LocalSeqpacket::send(ConstBuffer message, std::initializer_list<BorrowedHandle> handles,
                          std::error_code& ec) noexcept {
    send(message, std::span<const BorrowedHandle>(handles.begin(), handles.size()), ec);
}
void LocalSeqpacket::send(ConstBuffer message, std::span<const OwnedHandle> handles, std::error_code& ec) noexcept {
    detail::with_borrowed(handles, ec, [&](std::span<const BorrowedHandle> lent) { send(message, lent, ec); });
}
ReceiveResult LocalSeqpacket::receive(MutableBuffer buffer, std::vector<OwnedHandle>& handles,
                                      std::error_code& ec) noexcept {
    return receive(std::span<const MutableBuffer>(&buffer, 1), handles, ec);
}

// --- throwing forms ---------------------------------------------------------------

LocalSeqpacket LocalSeqpacket::connect(const LocalSocketName& name, std::error_code& ec) noexcept {
    return connect(name, ConnectOptions{}, ec);
}
LocalSeqpacket LocalSeqpacket::connect(const LocalSocketName& name, const ConnectOptions& options) {
    return or_throw_opening("connect", name, [&](std::error_code& ec) { return connect(name, options, ec); });
}
std::pair<LocalSeqpacket, LocalSeqpacket> LocalSeqpacket::pair() {
    return or_throw_opening("seqpacket pair", {}, [&](std::error_code& ec) { return pair(ec); });
}
LocalSeqpacket LocalSeqpacket::adopt(OwnedHandle handle) {
    return or_throw_opening("adopt seqpacket", {}, [&](std::error_code& ec) { return adopt(std::move(handle), ec); });
}

void LocalSeqpacket::send(ConstBuffer message, std::span<const BorrowedHandle> handles) {
    or_throw(*this, "send", [&](std::error_code& ec) { send(message, handles, ec); });
}
void LocalSeqpacket::send(ConstBuffer message, std::initializer_list<BorrowedHandle> handles) {
    or_throw(*this, "send", [&](std::error_code& ec) { send(message, handles, ec); });
}
void LocalSeqpacket::send(ConstBuffer message, std::span<const OwnedHandle> handles) {
    or_throw(*this, "send", [&](std::error_code& ec) { send(message, handles, ec); });
}
void LocalSeqpacket::send(std::span<const ConstBuffer> parts, std::span<const BorrowedHandle> handles) {
    or_throw(*this, "send", [&](std::error_code& ec) { send(parts, handles, ec); });
}
void LocalSeqpacket::send(ConstBuffer message, const ancillary::Builder& control) {
    or_throw(*this, "send", [&](std::error_code& ec) { send(message, control, ec); });
}

ReceiveResult LocalSeqpacket::receive(MutableBuffer buffer) {
    return or_throw(*this, "receive", [&](std::error_code& ec) { return receive(buffer, ec); });
}
ReceiveResult LocalSeqpacket::receive(MutableBuffer buffer, std::vector<OwnedHandle>& handles) {
    return or_throw(*this, "receive", [&](std::error_code& ec) { return receive(buffer, handles, ec); });
}
ReceiveResult LocalSeqpacket::receive(std::span<const MutableBuffer> parts, std::vector<OwnedHandle>& handles) {
    return or_throw(*this, "receive", [&](std::error_code& ec) { return receive(parts, handles, ec); });
}
ReceiveResult LocalSeqpacket::receive(MutableBuffer buffer, ancillary::Received& control, ReceiveFlags flags) {
    return or_throw(*this, "receive", [&](std::error_code& ec) { return receive(buffer, control, flags, ec); });
}
std::size_t LocalSeqpacket::next_message_size() {
    return or_throw(*this, "next message size", [&](std::error_code& ec) { return next_message_size(ec); });
}

void LocalSeqpacket::set_max_handles_per_receive(std::size_t limit) {
    or_throw(*this, "set handle limit", [&](std::error_code& ec) { set_max_handles_per_receive(limit, ec); });
}
void LocalSeqpacket::shutdown(Shutdown how) {
    or_throw(*this, "shutdown", [&](std::error_code& ec) { shutdown(how, ec); });
}
void LocalSeqpacket::set_read_timeout(std::chrono::milliseconds timeout) {
    or_throw(*this, "set read timeout", [&](std::error_code& ec) { set_read_timeout(timeout, ec); });
}
void LocalSeqpacket::set_write_timeout(std::chrono::milliseconds timeout) {
    or_throw(*this, "set write timeout", [&](std::error_code& ec) { set_write_timeout(timeout, ec); });
}
void LocalSeqpacket::close() { detail::close_or_throw(*this); }

void LocalSeqpacket::set_nonblocking(bool nonblocking) {
    or_throw(*this, "set non-blocking", [&](std::error_code& ec) { set_nonblocking(nonblocking, ec); });
}
void LocalSeqpacket::set_receive_credentials(bool enabled) {
    or_throw(*this, "receive credentials", [&](std::error_code& ec) { set_receive_credentials(enabled, ec); });
}
PeerCredentials LocalSeqpacket::peer_credentials() const {
    return or_throw(*this, "peer credentials", [&](std::error_code& ec) { return peer_credentials(ec); });
}
OwnedHandle LocalSeqpacket::peer_process() const {
    return or_throw(*this, "peer process", [&](std::error_code& ec) { return peer_process(ec); });
}

// --- listener -----------------------------------------------------------------------

LocalSeqpacketListener LocalSeqpacketListener::bind(const LocalSocketName& name, std::error_code& ec) noexcept {
    return bind(name, ListenerOptions{}, ec);
}
LocalSeqpacketListener LocalSeqpacketListener::bind(const LocalSocketName& name, const ListenerOptions& options) {
    return or_throw_opening("bind", name, [&](std::error_code& ec) { return bind(name, options, ec); });
}
LocalSeqpacketListener LocalSeqpacketListener::adopt(OwnedHandle handle) {
    return or_throw_opening("adopt seqpacket listener", {},
                            [&](std::error_code& ec) { return adopt(std::move(handle), ec); });
}
LocalSeqpacket LocalSeqpacketListener::accept() {
    return or_throw(*this, "accept", [&](std::error_code& ec) { return accept(ec); });
}
void LocalSeqpacketListener::close() { detail::close_or_throw(*this); }

void LocalSeqpacketListener::set_accept_timeout(std::chrono::milliseconds timeout) {
    or_throw(*this, "set accept timeout", [&](std::error_code& ec) { set_accept_timeout(timeout, ec); });
}

void LocalSeqpacketListener::set_nonblocking(bool nonblocking) {
    or_throw(*this, "set non-blocking", [&](std::error_code& ec) { set_nonblocking(nonblocking, ec); });
}

} // namespace localsock
