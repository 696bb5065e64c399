// lsock on POSIX: what a received descriptor is, asked of the kernel
// (fstat, fcntl, getsockopt, /proc/self/fd on Linux). Nothing here trusts
// the sender: every fact comes from the descriptor itself.
#include "../../lsock/system.hpp"

#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace lsock {

namespace {

// Linux: the target of /proc/self/fd/N: a path, "pipe:[123]",
// "socket:[456]", "anon_inode:[eventfd]", "/memfd:name (deleted)".
std::string descriptor_link(int fd) {
#if defined(__linux__)
    char link[PATH_MAX + 1];
    const std::string proc = "/proc/self/fd/" + std::to_string(fd);
    const ssize_t length = ::readlink(proc.c_str(), link, PATH_MAX);
    if (length > 0)
        return std::string(link, static_cast<std::size_t>(length));
#elif defined(F_GETPATH)
    char path[PATH_MAX] = {};
    if (::fcntl(fd, F_GETPATH, path) == 0)
        return path;
#else
    (void)fd;
#endif
    return {};
}

std::string access_mode(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0)
        return {};
    switch (flags & O_ACCMODE) {
    case O_RDONLY: return "read-only";
    case O_WRONLY: return "write-only";
    case O_RDWR: return "read-write";
    default: return {};
    }
}

// A local socket address as localsock writes names: @abstract or a path.
std::string local_address(const sockaddr_un& address, socklen_t length) {
    const std::size_t offset = offsetof(sockaddr_un, sun_path);
    if (length <= offset)
        return {};
    const std::size_t size = length - offset;
    if (address.sun_path[0] == '\0')
        return size > 1 ? "@" + std::string(address.sun_path + 1, size - 1) : std::string();
    return std::string(address.sun_path, strnlen(address.sun_path, size));
}

void describe_socket(int fd, HandleDescription& description) {
    description.kind = "socket";
    int value = 0;
    socklen_t length = sizeof value;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &value, &length) == 0)
        description.socket_type = value == SOCK_STREAM    ? "stream"
                                  : value == SOCK_SEQPACKET ? "seqpacket"
                                  : value == SOCK_DGRAM     ? "datagram"
                                                            : "raw";
    sockaddr_storage address{};
    length = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
        return;
    switch (address.ss_family) {
    case AF_UNIX: description.socket_family = "local"; break;
    case AF_INET: description.socket_family = "ipv4"; break;
    case AF_INET6: description.socket_family = "ipv6"; break;
#if defined(AF_NETLINK)
    case AF_NETLINK: description.socket_family = "netlink"; break;
#endif
    default: description.socket_family = "family " + std::to_string(address.ss_family); break;
    }
    if (address.ss_family != AF_UNIX)
        return;
    description.local_name = local_address(reinterpret_cast<const sockaddr_un&>(address), length);
#if defined(SO_ACCEPTCONN)
    value = 0;
    length = sizeof value;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &value, &length) == 0)
        description.listening = value != 0;
#endif
    sockaddr_storage peer{};
    length = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) == 0) {
        description.peer_name = local_address(reinterpret_cast<const sockaddr_un&>(peer), length);
        if (description.peer_name.empty())
            description.peer_name = "(unnamed)";
    }
}

#if defined(__linux__)
// "Pid:" of a pidfd, from /proc/self/fdinfo.
std::optional<std::int64_t> pidfd_pid(int fd) {
    const std::string path = "/proc/self/fdinfo/" + std::to_string(fd);
    const int info = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (info < 0)
        return std::nullopt;
    char text[1024] = {};
    const ssize_t length = ::read(info, text, sizeof text - 1);
    ::close(info);
    if (length <= 0)
        return std::nullopt;
    const char* line = std::strstr(text, "\nPid:");
    if (line == nullptr)
        return std::nullopt;
    return std::strtoll(line + 5, nullptr, 10);
}

std::vector<std::string> seal_names(int seals) {
    std::vector<std::string> names;
    if (seals & F_SEAL_SEAL)
        names.emplace_back("seal");
    if (seals & F_SEAL_SHRINK)
        names.emplace_back("shrink");
    if (seals & F_SEAL_GROW)
        names.emplace_back("grow");
    if (seals & F_SEAL_WRITE)
        names.emplace_back("write");
#if defined(F_SEAL_FUTURE_WRITE)
    if (seals & F_SEAL_FUTURE_WRITE)
        names.emplace_back("future-write");
#endif
    // Linux 6.3; glibc 2.36's headers do not name it yet.
    constexpr int seal_exec = 0x0020;
    if (seals & seal_exec)
        names.emplace_back("exec");
    return names;
}
#endif

} // namespace

HandleDescription describe_handle(localsock::BorrowedHandle handle) {
    const int fd = handle.get();
    HandleDescription description;
    description.native = "fd " + std::to_string(fd);
    struct stat status {};
    if (::fstat(fd, &status) != 0) {
        description.kind = "unknown";
        return description;
    }
    const std::string link = descriptor_link(fd);
    if (S_ISSOCK(status.st_mode)) {
        describe_socket(fd, description);
    } else if (S_ISFIFO(status.st_mode)) {
        description.kind = link.starts_with("pipe:") || link.empty() ? "pipe" : "fifo";
        if (description.kind == "fifo")
            description.path = link;
        const std::string access = access_mode(fd);
        description.access = access == "read-only" ? "read end" : access == "write-only" ? "write end" : access;
    } else if (S_ISREG(status.st_mode)) {
#if defined(__linux__)
        // memfds are files on an internal tmpfs, linked as "/memfd:NAME (deleted)".
        if (link.starts_with("/memfd:")) {
            description.kind = "memfd";
            std::string name = link.substr(7);
            if (name.ends_with(" (deleted)"))
                name.resize(name.size() - 10);
            description.path = name;
            const int seals = ::fcntl(fd, F_GET_SEALS);
            if (seals > 0)
                description.seals = seal_names(seals);
        } else
#endif
        {
            description.kind = "file";
            description.path = link;
        }
        description.size = static_cast<std::uint64_t>(status.st_size);
        description.access = access_mode(fd);
    } else if (S_ISDIR(status.st_mode)) {
        description.kind = "directory";
        description.path = link;
    } else if (S_ISCHR(status.st_mode) || S_ISBLK(status.st_mode)) {
        description.kind = S_ISCHR(status.st_mode) ? "character device" : "block device";
        description.path = link;
        description.access = access_mode(fd);
    } else if (link.starts_with("anon_inode:")) {
        // eventfd, pidfd, timerfd, signalfd, epoll, inotify, …
        std::string kind = link.substr(11);
        if (kind.size() > 2 && kind.front() == '[' && kind.back() == ']')
            kind = kind.substr(1, kind.size() - 2);
        description.kind = kind;
#if defined(__linux__)
        if (kind == "pidfd")
            description.pid = pidfd_pid(fd);
#endif
    } else {
        description.kind = "unknown";
        description.path = link;
    }
#if defined(__linux__)
    // A pidfd on pidfs (Linux 6.9+) is no anon_inode any more.
    if (description.kind == "unknown" && link.starts_with("pidfd:")) {
        description.kind = "pidfd";
        description.path.clear();
        description.pid = pidfd_pid(fd);
    }
#endif
    return description;
}

} // namespace lsock
