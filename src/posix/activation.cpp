// Socket activation on POSIX: systemd's LISTEN_FDS protocol (any service
// manager may speak it), and launchd's sockets on macOS.
#include "../activation/backend.hpp"
#include "../activation/environment.hpp"

#include "descriptor.hpp"

#include <localsock/error.hpp>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__linux__)
#  include <sys/syscall.h>
#  include <sys/vfs.h>
#endif
#if defined(__APPLE__)
#  include <launch.h>
#endif

namespace localsock::activation {
namespace {

// What an activated descriptor is, decided before any is taken.
enum class Kind : unsigned char { stream_listener, seqpacket_listener, datagram, stream, seqpacket, other };

std::optional<std::string> take_variable(const char* name) {
    const char* value = std::getenv(name);
    return value == nullptr ? std::nullopt : std::optional<std::string>(value);
}

#if defined(__linux__)
// This process's pidfd id: the inode number of a pidfd on pidfs (Linux
// 6.9+), which no other process ever has; nullopt where the kernel has no
// pidfs (every pidfd then shares one anonymous inode) or no pidfd_open.
// systemd trusts LISTEN_PID alone then, and so do we.
std::optional<std::uint64_t> own_pidfd_id() noexcept {
    constexpr long pidfs_magic = 0x50494446; // PID_FS_MAGIC
    const OwnedHandle pidfd(static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0)));
    struct statfs filesystem {};
    struct stat st {};
    if (!pidfd.valid() || ::fstatfs(pidfd.get(), &filesystem) != 0 ||
        static_cast<long>(filesystem.f_type) != pidfs_magic || ::fstat(pidfd.get(), &st) != 0)
        return std::nullopt;
    return static_cast<std::uint64_t>(st.st_ino);
}
#else
std::optional<std::uint64_t> own_pidfd_id() noexcept { return std::nullopt; }
#endif

// A SOL_SOCKET option's value, -1 if it cannot be read.
int socket_option(int fd, int option) noexcept {
    int value = -1;
    std::error_code ignored;
    return posix::get_socket_option(fd, SOL_SOCKET, option, value, ignored) ? value : -1;
}

// Classifies fd; errc::activation_unusable (with `problem`) for a
// descriptor that is not open, or a local connection-mode socket that is
// neither listening nor connected (nothing could be done with it).
std::error_code classify(int fd, std::string_view name, Kind& kind, std::string& problem) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        problem = "descriptor " + std::to_string(fd) + " ('" + std::string(name) + "') is not open";
        return errc::activation_unusable;
    }
    kind = Kind::other;
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    if (!S_ISSOCK(st.st_mode) || ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0 ||
        local.ss_family != AF_UNIX)
        return {};
    const int type = socket_option(fd, SO_TYPE);
    if (type == SOCK_DGRAM) {
        kind = Kind::datagram;
        return {};
    }
    if (type != SOCK_STREAM && type != SOCK_SEQPACKET)
        return {};
    const bool stream = type == SOCK_STREAM;
    if (socket_option(fd, SO_ACCEPTCONN) > 0) {
        kind = stream ? Kind::stream_listener : Kind::seqpacket_listener;
        return {};
    }
    sockaddr_storage peer{};
    length = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) == 0) {
        kind = stream ? Kind::stream : Kind::seqpacket;
        return {};
    }
    problem = "descriptor " + std::to_string(fd) + " ('" + std::string(name) + "') is a local " +
              (stream ? "stream" : "seqpacket") + " socket neither listening nor connected";
    return errc::activation_unusable;
}

// Wraps fd in the localsock type `kind` says (adopt makes it close-on-exec).
// After classify() only memory can fail here.
ActivatedSocket::socket_type adopt(Kind kind, int fd, std::error_code& ec) noexcept {
    OwnedHandle handle(fd);
    switch (kind) {
    case Kind::stream_listener: return LocalListener::adopt(std::move(handle), ec);
    case Kind::seqpacket_listener: return LocalSeqpacketListener::adopt(std::move(handle), ec);
    case Kind::datagram: return LocalDatagram::adopt(std::move(handle), ec);
    case Kind::stream: return LocalStream::adopt(std::move(handle), ec);
    case Kind::seqpacket: return LocalSeqpacket::adopt(std::move(handle), ec);
    case Kind::other: break;
    }
    if (!posix::set_cloexec(fd, ec))
        static_cast<void>(handle.release()); // not taken: left as it was
    return handle;
}

// Gives a taken socket's descriptor back, open, to nobody (a failure after
// some were taken: the caller finds them all as they were).
void give_back(ActivatedSocket& taken) noexcept {
    std::visit(
        [](auto& socket) {
            if constexpr (std::is_same_v<std::decay_t<decltype(socket)>, OwnedHandle>)
                static_cast<void>(socket.release());
            else
                static_cast<void>(socket.release().release());
        },
        taken.socket);
}

ActivatedSockets take_listed(const Plan& plan, std::error_code& ec, std::string& problem) {
    // Every descriptor checked first, stopping at the first bad one: memory
    // grows only with descriptors that exist, whatever LISTEN_FDS says.
    std::vector<Kind> kinds;
    for (std::size_t i = 0; i < plan.count; ++i) {
        Kind kind = Kind::other;
        ec = classify(first_descriptor + static_cast<int>(i), plan.name(i), kind, problem);
        if (ec)
            return {};
        kinds.push_back(kind);
    }
    std::vector<ActivatedSocket> sockets;
    sockets.reserve(kinds.size());
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        const int fd = first_descriptor + static_cast<int>(i);
        std::string name(plan.name(i)); // allocated before the descriptor is taken
        ActivatedSocket::socket_type socket = adopt(kinds[i], fd, ec);
        if (ec) {
            for (ActivatedSocket& taken : sockets)
                give_back(taken);
            problem = "descriptor " + std::to_string(fd) + " ('" + name + "') could not be taken";
            return {};
        }
        sockets.push_back({std::move(name), std::move(socket)}); // reserved: does not throw
    }
    return ActivatedSockets(std::move(sockets));
}

} // namespace

ActivatedSockets take_listen_fds(std::error_code& ec, std::string& problem) noexcept try {
    ec.clear();
    Variables variables;
    const auto pid = take_variable("LISTEN_PID");
    const auto pidfd_id = take_variable("LISTEN_PIDFDID");
    const auto fds = take_variable("LISTEN_FDS");
    const auto names = take_variable("LISTEN_FDNAMES");
    // sd_listen_fds(1) removes them whatever it finds, errors included.
    for (const char* variable : {"LISTEN_PID", "LISTEN_PIDFDID", "LISTEN_FDS", "LISTEN_FDNAMES"})
        ::unsetenv(variable);
    if (pid)
        variables.pid = *pid;
    if (pidfd_id)
        variables.pidfd_id = *pidfd_id;
    if (fds)
        variables.fds = *fds;
    if (names)
        variables.names = *names;
    Plan plan;
    ec = parse(variables, static_cast<std::uint64_t>(::getpid()), plan, problem);
    if (ec || !plan.for_us || plan.count == 0)
        return {};
    if (plan.pidfd_id) {
        const auto own = own_pidfd_id();
        if (own && *own != *plan.pidfd_id)
            return {}; // our pid, but another process's (a recycled pid): not ours
    }
    return take_listed(plan, ec, problem);
} catch (const std::bad_alloc&) {
    ec = std::make_error_code(std::errc::not_enough_memory);
    return {};
}

#if defined(__APPLE__)
ActivatedSockets take_launchd(std::string_view name, std::error_code& ec) noexcept try {
    ec.clear();
    const std::string key(name);
    int* fds = nullptr;
    std::size_t count = 0;
    if (const int error = ::launch_activate_socket(key.c_str(), &fds, &count); error != 0) {
        ec = {error, std::system_category()};
        return {};
    }
    // Owned from here: the array launchd allocated, then each descriptor
    // (closed by hand if there is no memory to own them).
    const std::unique_ptr<int, decltype(&std::free)> array(fds, &std::free);
    std::vector<OwnedHandle> handles;
    try {
        handles.reserve(count);
    } catch (const std::bad_alloc&) {
        for (std::size_t i = 0; i < count; ++i)
            ::close(fds[i]);
        throw;
    }
    for (std::size_t i = 0; i < count; ++i)
        handles.emplace_back(fds[i]);
    std::vector<ActivatedSocket> sockets;
    for (OwnedHandle& handle : handles) {
        Kind kind = Kind::other;
        std::string problem;
        if ((ec = classify(handle.get(), key, kind, problem)))
            return {};
        ActivatedSocket::socket_type socket = adopt(kind, handle.release(), ec);
        if (ec)
            return {};
        sockets.push_back({key, std::move(socket)});
    }
    return ActivatedSockets(std::move(sockets));
} catch (const std::bad_alloc&) {
    ec = std::make_error_code(std::errc::not_enough_memory);
    return {};
}
#else
ActivatedSockets take_launchd(std::string_view, std::error_code& ec) noexcept {
    ec = std::make_error_code(std::errc::not_supported);
    return {};
}
#endif

} // namespace localsock::activation
