// LocalDatagram on Windows: there is no local datagram transport (AF_UNIX
// sockets are stream-only there, and pipes are connected), so every
// operation fails with std::errc::not_supported and every factory returns a
// closed socket.
#include "win32.hpp"

#include <localsock/datagram.hpp>

namespace localsock {
namespace {
using win32::not_supported;
const LocalSocketName& no_name() noexcept {
    static const LocalSocketName none;
    return none;
}
} // namespace

struct LocalDatagram::Impl {};

LocalDatagram::LocalDatagram() noexcept = default;
LocalDatagram::LocalDatagram(LocalDatagram&&) noexcept = default;
LocalDatagram& LocalDatagram::operator=(LocalDatagram&&) noexcept = default;
LocalDatagram::~LocalDatagram() = default;

LocalDatagram LocalDatagram::bind(const LocalSocketName&, const DatagramOptions&, std::error_code& ec) noexcept {
    ec = not_supported();
    return {};
}
LocalDatagram LocalDatagram::unbound(std::error_code& ec) noexcept {
    ec = not_supported();
    return {};
}
LocalDatagram LocalDatagram::autobind(std::error_code& ec) noexcept {
    ec = not_supported();
    return {};
}
std::pair<LocalDatagram, LocalDatagram> LocalDatagram::pair(std::error_code& ec) noexcept {
    ec = not_supported();
    return {};
}
LocalDatagram LocalDatagram::adopt(OwnedHandle, std::error_code& ec) noexcept {
    ec = not_supported(); // the handle is closed with the argument
    return {};
}

bool LocalDatagram::is_open() const noexcept { return false; }
void LocalDatagram::close(std::error_code& ec) noexcept { ec = not_supported(); }
const LocalSocketName& LocalDatagram::local_name() const noexcept { return no_name(); }
const LocalSocketName& LocalDatagram::peer_name() const noexcept { return no_name(); }
void LocalDatagram::connect(const LocalSocketName&, std::error_code& ec) noexcept { ec = not_supported(); }

void LocalDatagram::send_to(const LocalSocketName&, std::span<const ConstBuffer>, std::span<const BorrowedHandle>,
                            std::error_code& ec) noexcept {
    ec = not_supported();
}
void LocalDatagram::send_to(const LocalSocketName&, ConstBuffer, const ancillary::Builder&,
                            std::error_code& ec) noexcept {
    ec = not_supported();
}
ReceiveResult LocalDatagram::receive_from(MutableBuffer, LocalSocketName&, std::error_code& ec) noexcept {
    ec = not_supported();
    return {};
}
ReceiveResult LocalDatagram::receive_from(MutableBuffer, LocalSocketName&, std::vector<OwnedHandle>&,
                                          std::error_code& ec) noexcept {
    ec = not_supported();
    return {};
}
ReceiveResult LocalDatagram::receive_from(MutableBuffer, LocalSocketName&, ancillary::Received&, ReceiveFlags,
                                          std::error_code& ec) noexcept {
    ec = not_supported();
    return {};
}

void LocalDatagram::send(std::span<const ConstBuffer>, std::span<const BorrowedHandle>, std::error_code& ec) noexcept {
    ec = not_supported();
}
void LocalDatagram::send(ConstBuffer, const ancillary::Builder&, std::error_code& ec) noexcept { ec = not_supported(); }
ReceiveResult LocalDatagram::receive(MutableBuffer, std::error_code& ec) noexcept {
    ec = not_supported();
    return {};
}
ReceiveResult LocalDatagram::receive(std::span<const MutableBuffer>, std::vector<OwnedHandle>&,
                                     std::error_code& ec) noexcept {
    ec = not_supported();
    return {};
}
ReceiveResult LocalDatagram::receive(MutableBuffer, ancillary::Received&, ReceiveFlags, std::error_code& ec) noexcept {
    ec = not_supported();
    return {};
}
std::size_t LocalDatagram::next_message_size(std::error_code& ec) noexcept {
    ec = not_supported();
    return 0;
}

std::size_t LocalDatagram::max_handles_per_receive() const noexcept { return max_handles_per_message; }
void LocalDatagram::set_max_handles_per_receive(std::size_t, std::error_code& ec) noexcept { ec = not_supported(); }
void LocalDatagram::set_read_timeout(std::chrono::milliseconds, std::error_code& ec) noexcept { ec = not_supported(); }
void LocalDatagram::set_write_timeout(std::chrono::milliseconds, std::error_code& ec) noexcept { ec = not_supported(); }
void LocalDatagram::set_nonblocking(bool, std::error_code& ec) noexcept { ec = not_supported(); }
void LocalDatagram::set_receive_credentials(bool, std::error_code& ec) noexcept { ec = not_supported(); }
void LocalDatagram::set_receive_timestamps(bool, std::error_code& ec) noexcept { ec = not_supported(); }

native_handle_type LocalDatagram::native_handle() const noexcept { return invalid_native_handle; }
OwnedHandle LocalDatagram::release() noexcept { return {}; }

} // namespace localsock
