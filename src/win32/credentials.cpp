// peer_credentials / peer_process on Windows, for streams and seqpackets: the
// peer's process id, its user SID, and its process as a handle.
#include "duplication.hpp"
#include "seqpacket_impl.hpp"
#include "stream_impl.hpp"

namespace localsock {
namespace {

OwnedHandle peer_process_of(HANDLE pipe, bool is_server, std::error_code& ec) noexcept {
    ULONG pid = 0;
    if (!win32::peer_process_id(pipe, is_server, pid, ec))
        return {};
    OwnedHandle process = win32::own(::OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
    if (!process)
        ec = win32::last_error();
    return process;
}

PeerCredentials peer_credentials_of(HANDLE pipe, bool is_server, std::error_code& ec) noexcept {
    PeerCredentials credentials;
    ULONG pid = 0;
    if (!win32::peer_process_id(pipe, is_server, pid, ec))
        return credentials;
    credentials.pid = pid;
    const OwnedHandle process = win32::own(::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
    if (!process) {
        ec = win32::last_error();
        return credentials;
    }
    credentials.user_sid = win32::process_user_sid(process.get(), ec);
    return credentials;
}

} // namespace

OwnedHandle LocalStream::peer_process(std::error_code& ec) const noexcept {
    ec.clear();
    if (!is_open()) {
        ec = win32::not_open();
        return {};
    }
    return peer_process_of(impl_->pipe.get(), impl_->is_server, ec);
}

PeerCredentials LocalStream::peer_credentials(std::error_code& ec) const noexcept {
    ec.clear();
    if (!is_open()) {
        ec = win32::not_open();
        return {};
    }
    return peer_credentials_of(impl_->pipe.get(), impl_->is_server, ec);
}

OwnedHandle LocalSeqpacket::peer_process(std::error_code& ec) const noexcept {
    ec.clear();
    if (!is_open()) {
        ec = win32::not_open();
        return {};
    }
    return peer_process_of(impl_->pipe.get(), impl_->is_server, ec);
}

PeerCredentials LocalSeqpacket::peer_credentials(std::error_code& ec) const noexcept {
    ec.clear();
    if (!is_open()) {
        ec = win32::not_open();
        return {};
    }
    return peer_credentials_of(impl_->pipe.get(), impl_->is_server, ec);
}

} // namespace localsock
