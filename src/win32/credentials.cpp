// peer_credentials / peer_process on Windows, for streams and seqpackets: the
// peer's process id, its user SID, and its process as a handle.
#include "duplication.hpp"
#include "seqpacket_impl.hpp"
#include "stream_impl.hpp"
#include "../operation_error.hpp"

namespace localsock {
namespace win32 {

OwnedHandle open_peer_process(const PipeCore* core, std::error_code& ec) noexcept {
    detail::clear(ec);
    ULONG pid = 0;
    if (!is_open(core)) {
        ec = not_open();
        return {};
    }
    if (!peer_process_id(core->pipe.get(), core->is_server, pid, ec))
        return {};
    OwnedHandle process = own(::OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
    if (!process)
        ec = last_error();
    return process;
}

PeerCredentials peer_credentials(const PipeCore* core, std::error_code& ec) noexcept {
    detail::clear(ec);
    PeerCredentials credentials;
    ULONG pid = 0;
    if (!is_open(core)) {
        ec = not_open();
        return credentials;
    }
    if (!peer_process_id(core->pipe.get(), core->is_server, pid, ec))
        return credentials;
    credentials.pid = pid;
    const OwnedHandle process = own(::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
    if (!process) {
        ec = last_error();
        return credentials;
    }
    credentials.user_sid = process_user_sid(process.get(), ec);
    return credentials;
}

} // namespace win32

OwnedHandle LocalStream::peer_process(std::error_code& ec) const noexcept {
    return win32::open_peer_process(impl_.get(), ec);
}
PeerCredentials LocalStream::peer_credentials(std::error_code& ec) const noexcept {
    return win32::peer_credentials(impl_.get(), ec);
}
OwnedHandle LocalSeqpacket::peer_process(std::error_code& ec) const noexcept {
    return win32::open_peer_process(impl_.get(), ec);
}
PeerCredentials LocalSeqpacket::peer_credentials(std::error_code& ec) const noexcept {
    return win32::peer_credentials(impl_.get(), ec);
}

} // namespace localsock
