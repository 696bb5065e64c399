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
    l.nonblocking = options.nonblocking;
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
    return accept_connection(l->socket.get(), l->nonblocking_accepted, l->accept_timed,
                             l->nonblocking && !l->accept_timed, ec);
}

void set_listener_nonblocking(ListeningSocket* l, bool nonblocking, std::error_code& ec) noexcept {
    ec.clear();
    if (l == nullptr || !l->socket.valid())
        ec = not_open();
    else if (set_nonblocking(l->socket.get(), nonblocking, ec))
        l->nonblocking = nonblocking;
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
    if (l->own_file)
        l->own_file->forget(); // the file stays with whoever has the socket now
    l->own_file.reset();
    return std::move(l->socket);
}

} // namespace localsock::posix
