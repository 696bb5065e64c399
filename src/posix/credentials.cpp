// LocalStream::peer_credentials on POSIX: each system's own query.
#include "descriptor.hpp"
#include "stream_impl.hpp"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__DragonFly__)
#  include <sys/ucred.h>
#endif

namespace localsock {
namespace {

bool query(int fd, PeerCredentials& out, std::error_code& ec) noexcept {
#if defined(SO_PEERCRED) && !defined(__OpenBSD__)
    // Linux: the peer's pid, uid and gid at connect() (or socketpair()) time.
    ucred cred{};
    if (!posix::get_socket_option(fd, SOL_SOCKET, SO_PEERCRED, cred, ec))
        return false;
    out.pid = cred.pid;
    out.uid = cred.uid;
    out.gid = cred.gid;
    return true;
#elif defined(__OpenBSD__)
    sockpeercred cred{};
    if (!posix::get_socket_option(fd, SOL_SOCKET, SO_PEERCRED, cred, ec))
        return false;
    out.pid = cred.pid;
    out.uid = cred.uid;
    out.gid = cred.gid;
    return true;
#elif defined(__NetBSD__)
    unpcbid cred{};
    if (!posix::get_socket_option(fd, 0, LOCAL_PEEREID, cred, ec))
        return false;
    out.pid = cred.unp_pid;
    out.uid = cred.unp_euid;
    out.gid = cred.unp_egid;
    return true;
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__DragonFly__)
    xucred cred{};
    if (!posix::get_socket_option(fd, SOL_LOCAL, LOCAL_PEERCRED, cred, ec))
        return false;
    if (cred.cr_version != XUCRED_VERSION) {
        ec = std::make_error_code(std::errc::not_supported);
        return false;
    }
    out.uid = cred.cr_uid;
    out.gid = cred.cr_ngroups > 0 ? cred.cr_groups[0] : 0;
#  if defined(__APPLE__)
    pid_t pid = 0;
    std::error_code no_pid; // older macOS: credentials without a pid
    if (posix::get_socket_option(fd, SOL_LOCAL, LOCAL_PEERPID, pid, no_pid))
        out.pid = pid;
#  elif defined(__FreeBSD__) && __FreeBSD_version >= 1300030
    out.pid = cred.cr_pid;
#  endif
    return true;
#else
    (void)fd;
    (void)out;
    ec = std::make_error_code(std::errc::not_supported);
    return false;
#endif
}

} // namespace

PeerCredentials LocalStream::peer_credentials(std::error_code& ec) const noexcept {
    ec.clear();
    PeerCredentials credentials;
    if (!is_open())
        ec = posix::not_open();
    else
        query(impl_->fd(), credentials, ec);
    return credentials;
}

} // namespace localsock
