// Peer credentials and the peer process on POSIX: each system's own query.
#include "descriptor.hpp"
#include "socket_core.hpp"

#include <new>

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__DragonFly__)
#  include <sys/ucred.h>
#endif

namespace localsock::posix {
namespace {

bool query(int fd, PeerCredentials& out, std::error_code& ec) noexcept {
#if defined(SO_PEERCRED) && !defined(__OpenBSD__)
    // Linux: the peer's pid, uid and gid at connect() (or socketpair()) time.
    ucred cred{};
    if (!get_socket_option(fd, SOL_SOCKET, SO_PEERCRED, cred, ec))
        return false;
    out.pid = cred.pid;
    out.uid = cred.uid;
    out.gid = cred.gid;
    return true;
#elif defined(__OpenBSD__)
    sockpeercred cred{};
    if (!get_socket_option(fd, SOL_SOCKET, SO_PEERCRED, cred, ec))
        return false;
    out.pid = cred.pid;
    out.uid = cred.uid;
    out.gid = cred.gid;
    return true;
#elif defined(__NetBSD__)
    unpcbid cred{};
    if (!get_socket_option(fd, 0, LOCAL_PEEREID, cred, ec))
        return false;
    out.pid = cred.unp_pid;
    out.uid = cred.unp_euid;
    out.gid = cred.unp_egid;
    return true;
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__DragonFly__)
    xucred cred{};
    if (!get_socket_option(fd, SOL_LOCAL, LOCAL_PEERCRED, cred, ec))
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
    if (get_socket_option(fd, SOL_LOCAL, LOCAL_PEERPID, pid, no_pid))
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

#if defined(__linux__)
// Newer than Debian 12's headers; the kernel says ENOPROTOOPT where it lacks them.
#  if !defined(SO_PEERGROUPS)
#    define SO_PEERGROUPS 59
#  endif
#  if !defined(SO_PEERPIDFD)
#    define SO_PEERPIDFD 77
#  endif

static_assert(sizeof(gid_t) == sizeof(std::uint32_t));

// Supplementary groups: asked with a guess, then with the size the kernel
// reports (ERANGE) if the guess was short.
bool query_groups(int fd, PeerCredentials& out, std::error_code& ec) noexcept {
    try {
        out.groups.resize(32);
        for (;;) {
            socklen_t length = static_cast<socklen_t>(out.groups.size() * sizeof(gid_t));
            if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, out.groups.data(), &length) == 0) {
                out.groups.resize(length / sizeof(gid_t));
                return true;
            }
            if (errno == ERANGE) {
                out.groups.resize(length / sizeof(gid_t) + 1);
                continue;
            }
            out.groups.clear();
            if (errno != ENOPROTOOPT) // an old kernel has no list to give: leave it empty
                ec = last_error();
            return errno == ENOPROTOOPT;
        }
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return false;
    }
}

// The LSM label, where an LSM gives one (ENOPROTOOPT: none does).
bool query_security_label(int fd, PeerCredentials& out, std::error_code& ec) noexcept {
    char label[4096];
    socklen_t length = sizeof label;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERSEC, label, &length) != 0) {
        if (errno == ENOPROTOOPT || errno == EINVAL)
            return true; // no LSM labels this socket: the label stays empty
        ec = last_error();
        return false;
    }
    try {
        out.security_label.assign(label, strnlen(label, length));
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return false;
    }
    return true;
}
#endif

} // namespace

PeerCredentials peer_credentials(const SocketCore* core, std::error_code& ec) noexcept {
    ec.clear();
    PeerCredentials credentials;
    if (!is_open(core)) {
        ec = not_open();
        return credentials;
    }
    if (!query(core->fd(), credentials, ec))
        return credentials;
#if defined(__linux__)
    if (query_groups(core->fd(), credentials, ec))
        query_security_label(core->fd(), credentials, ec);
#endif
    return credentials;
}

OwnedHandle peer_process(const SocketCore* core, std::error_code& ec) noexcept {
    ec.clear();
    if (!is_open(core)) {
        ec = not_open();
        return {};
    }
#if defined(__linux__)
    int pidfd = -1;
    if (!get_socket_option(core->fd(), SOL_SOCKET, SO_PEERPIDFD, pidfd, ec)) {
        if (ec == std::errc::no_protocol_option) // kernels before 6.5
            ec = std::make_error_code(std::errc::not_supported);
        return {};
    }
    OwnedHandle owner(pidfd); // the kernel makes pidfds close-on-exec
    if (!set_cloexec(pidfd, ec))
        return {};
    return owner;
#else
    ec = std::make_error_code(std::errc::not_supported);
    return {};
#endif
}

} // namespace localsock::posix
