// LocalStream::peer_credentials on Windows: the peer's process id and user SID.
#include "stream_impl.hpp"

namespace localsock {

namespace {
bool peer_pid(const LocalStream::Impl& s, ULONG& pid, std::error_code& ec) noexcept {
    const BOOL known = s.is_server ? ::GetNamedPipeClientProcessId(s.pipe.get(), &pid)
                                   : ::GetNamedPipeServerProcessId(s.pipe.get(), &pid);
    if (!known)
        ec = win32::last_error();
    return known;
}
} // namespace

OwnedHandle LocalStream::peer_process(std::error_code& ec) const noexcept {
    ec.clear();
    ULONG pid = 0;
    if (!is_open()) {
        ec = win32::not_open();
        return {};
    }
    if (!peer_pid(*impl_, pid, ec))
        return {};
    OwnedHandle process =
        win32::own(::OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
    if (!process)
        ec = win32::last_error();
    return process;
}

PeerCredentials LocalStream::peer_credentials(std::error_code& ec) const noexcept {
    ec.clear();
    PeerCredentials credentials;
    if (!is_open()) {
        ec = win32::not_open();
        return credentials;
    }
    ULONG pid = 0;
    if (!peer_pid(*impl_, pid, ec))
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

} // namespace localsock
