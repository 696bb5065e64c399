// LocalStream::peer_credentials on Windows: the peer's process id and user SID.
#include "stream_impl.hpp"

namespace localsock {

PeerCredentials LocalStream::peer_credentials(std::error_code& ec) const noexcept {
    ec.clear();
    PeerCredentials credentials;
    if (!is_open()) {
        ec = win32::not_open();
        return credentials;
    }
    ULONG pid = 0;
    const BOOL known = impl_->is_server ? ::GetNamedPipeClientProcessId(impl_->pipe.get(), &pid)
                                        : ::GetNamedPipeServerProcessId(impl_->pipe.get(), &pid);
    if (!known) {
        ec = win32::last_error();
        return credentials;
    }
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
