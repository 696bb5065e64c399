#include "posix_io.hpp"

#include "harness.hpp"

#include <cerrno>
#include <cstring>
#include <thread>

#include <dirent.h>
#include <sys/socket.h>
#include <unistd.h>

namespace bench::posix {

sockaddr_un address_of(const std::string& path) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    return a;
}

int listen_on(const std::string& path, int type) {
    const int listener = ::socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    const sockaddr_un a = address_of(path);
    ::unlink(path.c_str());
    if (::bind(listener, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0 || ::listen(listener, 128) != 0)
        fail("bind " + path);
    return listener;
}

int connect_to(const std::string& path, int type) {
    const sockaddr_un a = address_of(path);
    for (int attempt = 0; attempt < 5000; ++attempt) {
        const int fd = ::socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0)
            return fd;
        ::close(fd);
        std::this_thread::sleep_for(std::chrono::milliseconds(1)); // the server is starting
    }
    fail("connect " + path);
}

void read_exact(int fd, void* data, std::size_t size) {
    auto* p = static_cast<char*>(data);
    while (size > 0) {
        const ssize_t n = ::read(fd, p, size);
        if (n <= 0)
            fail("read");
        p += n;
        size -= static_cast<std::size_t>(n);
    }
}

void write_all(int fd, const void* data, std::size_t size) {
    const auto* p = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd, p, size);
        if (n <= 0)
            fail("write");
        p += n;
        size -= static_cast<std::size_t>(n);
    }
}

void send_with(int fd, const int* fds, std::size_t count, char* data, std::size_t size) {
    iovec iov{data, size};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 64)];
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = CMSG_SPACE(sizeof(int) * count);
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * count);
    std::memcpy(CMSG_DATA(c), fds, sizeof(int) * count);
    if (::sendmsg(fd, &m, 0) != static_cast<ssize_t>(size))
        fail("sendmsg");
}

ssize_t try_receive_and_close(int fd, void* data, std::size_t size, std::size_t room, std::size_t& handles) {
    iovec iov{data, size};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 64)];
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = CMSG_SPACE(sizeof(int) * room);
    const ssize_t n = ::recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
    if (n < 0)
        return n;
    if ((m.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) != 0)
        fail("recvmsg truncated");
    for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
            int received;
            std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof received);
            ::close(received);
        }
        handles += count;
    }
    return n;
}

std::size_t receive_and_close(int fd, void* data, std::size_t size, std::size_t room) {
    std::size_t handles = 0;
    if (try_receive_and_close(fd, data, size, room, handles) != static_cast<ssize_t>(size))
        fail("recvmsg");
    return handles;
}

std::size_t open_descriptors() {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr)
        fail("opendir /proc/self/fd");
    std::size_t count = 0;
    while (const dirent* entry = ::readdir(dir))
        if (entry->d_name[0] != '.')
            ++count;
    ::closedir(dir);
    return count - 1; // the directory stream's own descriptor
}

DescriptorLeakCheck::~DescriptorLeakCheck() {
    const std::size_t now = open_descriptors();
    if (now > at_start_)
        fail("descriptors left open: " + std::to_string(at_start_) + " at the start, " + std::to_string(now) +
             " at the end");
}

} // namespace bench::posix
