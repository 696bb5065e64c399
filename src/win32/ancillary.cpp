// Ancillary (control) data on Windows: there is none. Pipes carry handles
// with send()/receive() instead, so building control messages, and the
// control-message forms of LocalStream and LocalSeqpacket, are not_supported;
// a Received stays empty.
#include "win32.hpp"

#include <localsock/ancillary.hpp>
#include <localsock/seqpacket.hpp>
#include <localsock/stream.hpp>

namespace localsock {
using win32::not_supported;

namespace ancillary {

Credentials own_credentials() noexcept { return {static_cast<std::int64_t>(::GetCurrentProcessId()), 0, 0}; }

bool Builder::add_handles(std::span<const BorrowedHandle>, std::error_code& ec) noexcept {
    ec = not_supported();
    return false;
}
bool Builder::add_credentials(const Credentials&, std::error_code& ec) noexcept {
    ec = not_supported();
    return false;
}
bool Builder::add(int, int, std::span<const std::byte>, std::error_code& ec) noexcept {
    ec = not_supported();
    return false;
}

void Received::clear() noexcept {
    size_ = 0;
    truncated_ = false;
    handles_taken_ = false;
    pidfd_taken_ = false;
}
std::size_t Received::handle_count() const noexcept { return 0; }
BorrowedHandle Received::pidfd() const noexcept { return {}; }
OwnedHandle Received::take_pidfd() noexcept { return {}; }
bool Received::take_handles(std::vector<OwnedHandle>&, std::error_code& ec) noexcept {
    ec.clear(); // nothing to take
    return true;
}
std::optional<Credentials> Received::credentials() const noexcept { return std::nullopt; }
std::optional<Timestamp> Received::timestamp() const noexcept { return std::nullopt; }
std::optional<std::span<const std::byte>> Received::find(int, int) const noexcept { return std::nullopt; }

// Always at the end: a Received holds no messages here.
void Received::iterator::load() noexcept {
    offset_ = owner_ != nullptr ? owner_->size_ : 0;
    next_ = offset_;
    current_ = Message{};
}

} // namespace ancillary

std::size_t LocalStream::send(ConstBuffer, const ancillary::Builder&, std::error_code& ec) noexcept {
    ec = not_supported();
    return 0;
}
ReceiveResult LocalStream::receive(MutableBuffer, ancillary::Received&, ReceiveFlags, std::error_code& ec) noexcept {
    ec = not_supported();
    return {};
}
void LocalStream::set_receive_credentials(bool, std::error_code& ec) noexcept { ec = not_supported(); }

void LocalSeqpacket::send(ConstBuffer, const ancillary::Builder&, std::error_code& ec) noexcept {
    ec = not_supported();
}
ReceiveResult LocalSeqpacket::receive(MutableBuffer, ancillary::Received&, ReceiveFlags,
                                      std::error_code& ec) noexcept {
    ec = not_supported();
    return {};
}
void LocalSeqpacket::set_receive_credentials(bool, std::error_code& ec) noexcept { ec = not_supported(); }

} // namespace localsock
