// localsock: sockets a service manager opened for this process (socket
// activation): systemd's LISTEN_FDS protocol, launchd on macOS.
#pragma once

#include <localsock/config.hpp>
#include <localsock/datagram.hpp>
#include <localsock/handle.hpp>
#include <localsock/listener.hpp>
#include <localsock/seqpacket.hpp>
#include <localsock/stream.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

namespace localsock {

// One socket the service manager passed, with the name it gave it.
struct ActivatedSocket {
    using socket_type =
        std::variant<LocalListener, LocalSeqpacketListener, LocalDatagram, LocalStream, LocalSeqpacket, OwnedHandle>;

    // systemd: the descriptor's entry of LISTEN_FDNAMES (FileDescriptorName=,
    // by default the socket unit's name; "connection" for the connection of
    // an Accept=yes service), "unknown" when LISTEN_FDNAMES is unset.
    // launchd: the key of the Sockets dictionary.
    std::string name;
    // By what the descriptor is, not by its name: a listening local stream or
    // seqpacket socket, a local datagram socket, a connected local stream or
    // seqpacket socket; anything else (a TCP socket, a FIFO, a file) as the
    // handle it is.
    socket_type socket;
};

// What take_activated_sockets() returns: the sockets in descriptor order.
// Threads: an ordinary value (one thread at a time).
class ActivatedSockets {
public:
    ActivatedSockets() = default;
    explicit ActivatedSockets(std::vector<ActivatedSocket> sockets) noexcept : sockets_(std::move(sockets)) {}

    bool empty() const noexcept { return sockets_.empty(); }
    std::size_t size() const noexcept { return sockets_.size(); }
    auto begin() noexcept { return sockets_.begin(); }
    auto end() noexcept { return sockets_.end(); }
    auto begin() const noexcept { return sockets_.begin(); }
    auto end() const noexcept { return sockets_.end(); }

    // Moves out every socket of type Socket (LocalListener, LocalDatagram,
    // ..., OwnedHandle), in descriptor order, and removes them from this set.
    template <class Socket>
    std::vector<Socket> take() {
        return take_if<Socket>([](const ActivatedSocket&) { return true; });
    }
    // The same for those named `name` only.
    template <class Socket>
    std::vector<Socket> take(std::string_view name) {
        return take_if<Socket>([name](const ActivatedSocket& s) { return s.name == name; });
    }

private:
    template <class Socket, class Predicate>
    std::vector<Socket> take_if(Predicate wanted) {
        std::vector<Socket> taken;
        std::vector<ActivatedSocket> kept;
        for (ActivatedSocket& s : sockets_) {
            if (Socket* socket = std::get_if<Socket>(&s.socket); socket != nullptr && wanted(s))
                taken.push_back(std::move(*socket));
            else
                kept.push_back(std::move(s));
        }
        sockets_ = std::move(kept);
        return taken;
    }

    std::vector<ActivatedSocket> sockets_;
};

// Takes every socket systemd passed to this process, as sd_listen_fds(1)
// does: only if LISTEN_PID is this process (and LISTEN_PIDFDID, where set and
// the kernel has pidfs, this process's pidfd id); descriptors 3 to
// 3 + LISTEN_FDS - 1, named by LISTEN_FDNAMES; the four variables removed
// from the environment in every case, so that children do not see them.
// Every descriptor is checked before any is taken: on an error none is, and
// they stay as they were (open). Taken descriptors are made close-on-exec.
// A process that was not socket-activated gets an empty set, not an error.
// Errors: errc::activation_malformed (a variable is malformed: the throwing
// form says which and how), errc::activation_unusable (a descriptor is not
// open, or a local stream or seqpacket socket neither listens nor is
// connected); Windows: std::errc::not_supported (it has no socket
// activation; a service gets its pipe from its own code).
// Threads: reads and changes the environment, so call it before starting
// threads, as sd_listen_fds.
// The LISTEN_FDS protocol needs no systemd: any service manager may use it,
// on any POSIX system (LISTEN_PIDFDID is checked on Linux only).
LOCALSOCK_API ActivatedSockets take_activated_sockets();
LOCALSOCK_API ActivatedSockets take_activated_sockets(std::error_code& ec) noexcept;

// macOS: the sockets launchd opened for the `Sockets` entry `name` of the
// job's property list (launch_activate_socket(3)), each named `name`;
// launchd's error otherwise (ESRCH: the job has no such entry, or was not
// started by launchd). Other systems: std::errc::not_supported.
// Untested: localsock's CI has no macOS.
LOCALSOCK_API ActivatedSockets take_launchd_sockets(std::string_view name);
LOCALSOCK_API ActivatedSockets take_launchd_sockets(std::string_view name, std::error_code& ec) noexcept;

} // namespace localsock
