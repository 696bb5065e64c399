// Binding to names and listening, for every POSIX socket type (listening_socket.hpp).
#include "listening_socket.hpp"
#include "address.hpp"
#include "descriptor.hpp"
#include "socket_core.hpp"

#include <localsock/error.hpp>

#include <new>

#include <sys/socket.h>
#include <unistd.h>

namespace localsock::posix {
namespace {

bool bind_with_reclaim(int fd, const LocalSocketName& name, const SocketAddress& address, bool reclaim,
                       std::error_code& ec) noexcept {
    if (::bind(fd, address.get(), address.length) == 0)
        return true;
    if (errno == EADDRINUSE && reclaim && is_stale_socket(name.value(), address)) {
        ::unlink(name.value().c_str());
        if (::bind(fd, address.get(), address.length) == 0)
            return true;
    }
    ec = last_error();
    return false;
}

} // namespace

bool bind_to_name(int fd, const LocalSocketName& name, const std::optional<std::filesystem::perms>& mode,
                  bool reclaim, std::optional<int> listen_backlog, std::optional<FileIdentity>& own_file,
                  std::error_code& ec) noexcept {
    const bool on_disk = name.is_filesystem();
    const bool set_mode = on_disk && mode.has_value();
    if (set_mode && !restrict_mode_before_bind(fd, *mode, ec))
        return false;
    ReclaimLock lock;
    if (on_disk && reclaim) {
        lock = ReclaimLock::acquire(name.value(), ec);
        if (ec)
            return false;
    }
    if (!bind_with_reclaim(fd, name, to_address(name), on_disk && reclaim, ec))
        return false;
    if (on_disk) {
        own_file = identify_socket_file(name.value());
        if (set_mode && !apply_mode_after_bind(name.value(), *mode, ec))
            return false;
    }
    // Still holding the lock: the next reclaimer must find a live socket,
    // not a bound-but-refusing one it would take for stale.
    if (listen_backlog && ::listen(fd, *listen_backlog) != 0) {
        ec = last_error();
        return false;
    }
    return true;
}

bool bind_listening(ListeningSocket& l, int type, const LocalSocketName& name, const ListenerOptions& options,
                    std::error_code& ec) noexcept {
    if (name.empty()) {
        ec = errc::empty_name;
        return false;
    }
    if (!options.security_descriptor.empty()) { // a Windows notion; POSIX has `mode`
        ec = std::make_error_code(std::errc::not_supported);
        return false;
    }
    try {
        l.name = name;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return false;
    }
    l.handle_passing = options.handle_passing;
    l.nonblocking_accepted = options.nonblocking_accepted;
    l.socket = open_socket(type, ec);
    if (ec)
        return false;
    const int fd = l.socket.get();
    if (!bind_to_name(fd, name, options.mode, options.reclaim_stale, options.backlog, l.own_file, ec))
        return false;
    return !options.nonblocking || set_nonblocking(fd, true, ec);
}

bool adopt_listening(ListeningSocket& l, int type, OwnedHandle handle, std::error_code& ec) noexcept {
    const int fd = handle.get();
    int listening = 0;
    sockaddr_un local{};
    socklen_t local_length = sizeof local;
    if (is_local_socket_of_other_type(fd, type)) { // e.g. a seqpacket listener given to LocalListener
        ec = errc::wrong_socket_type;
        return false;
    }
    if (!is_local_socket(fd, type, false) || !get_socket_option(fd, SOL_SOCKET, SO_ACCEPTCONN, listening, ec) ||
        listening == 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) != 0) {
        ec = errc::not_a_listener;
        return false;
    }
    if (!adopt_descriptor(fd, ec))
        return false;
    try {
        l.name = from_address(local, local_length);
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return false;
    }
    l.socket = std::move(handle);
    return true;
}

OwnedHandle accept_next(ListeningSocket* l, std::error_code& ec) noexcept {
    ec.clear();
    if (l == nullptr || !l->socket.valid()) {
        ec = not_open();
        return {};
    }
    return accept_connection(l->socket.get(), l->nonblocking_accepted, l->accept_timed, ec);
}

void set_listener_nonblocking(ListeningSocket* l, bool nonblocking, std::error_code& ec) noexcept {
    ec.clear();
    if (l == nullptr || !l->socket.valid())
        ec = not_open();
    else
        set_nonblocking(l->socket.get(), nonblocking, ec);
}

void set_accept_timeout(ListeningSocket* l, std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    ec.clear();
    if (l == nullptr || !l->socket.valid())
        ec = not_open();
    else if (set_timeout_option(l->socket.get(), Wait::receive, timeout, ec))
        l->accept_timed = timeout.count() != 0;
}

OwnedHandle release_listening(ListeningSocket* l) noexcept {
    if (l == nullptr)
        return {};
    l->own_file.reset(); // the file stays with whoever has the socket now
    return std::move(l->socket);
}

} // namespace localsock::posix
