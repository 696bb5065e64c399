// Contender "raw": hand-written POSIX calls, the floor every other contender
// is measured against: socket/bind/listen/accept4/connect, read/write,
// sendmsg/recvmsg with SCM_RIGHTS.
#include "harness.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <thread>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace bench {

const char* const contender_name = "raw";

bool supports(Workload) { return true; }

namespace {

sockaddr_un address_of(const std::string& path) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    return a;
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

// `type` is SOCK_STREAM or SOCK_SEQPACKET.
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

// One message of `size` bytes carrying `count` descriptors.
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

// One recvmsg of exactly `size` bytes with room for `room` descriptors (at
// most 64); closes every descriptor that came and returns how many did. As
// localsock's receive does, it notices truncation (MSG_CTRUNC: descriptors
// lost; MSG_TRUNC: bytes lost) and fails on it.
std::size_t receive_and_close(int fd, void* data, std::size_t size, std::size_t room) {
    iovec iov{data, size};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 64)];
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = CMSG_SPACE(sizeof(int) * room);
    if (::recvmsg(fd, &m, MSG_CMSG_CLOEXEC) != static_cast<ssize_t>(size) || (m.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) != 0)
        fail("recvmsg");
    std::size_t arrived = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        const std::size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < n; ++i) {
            int received;
            std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof received);
            ::close(received);
        }
        arrived += n;
    }
    return arrived;
}

// The seqpacket workload: each round trip is one sendmsg carrying a handle
// and one recvmsg on the client, one recvmsg (+ close of the handle) and one
// send on the server.
void seqpacket_server(const Options& o) {
    const int listener = listen_on(o.name, SOCK_SEQPACKET);
    const int c = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    char data[pingpong_bytes];
    for (std::uint64_t i = 0; i < o.count; ++i) {
        if (receive_and_close(c, data, sizeof data, 1) != 1)
            fail("expected one handle");
        if (::send(c, data, sizeof data, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof data))
            fail("send");
    }
    ::close(c);
    ::close(listener);
    ::unlink(o.name.c_str());
}

Result seqpacket_client(const Options& o) {
    const int fd = connect_to(o.name, SOCK_SEQPACKET);
    const int handle = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    char message[pingpong_bytes] = {};
    Result r;
    r.latencies.resize(o.count);
    const auto start = Clock::now();
    for (std::uint64_t i = 0; i < o.count; ++i) {
        const auto t0 = Clock::now();
        send_with(fd, &handle, 1, message, sizeof message);
        // The reply carries no handles, but a receiver that must notice (and
        // close) any that come anyway needs recvmsg and a control buffer:
        // what localsock's receive(buffer) guarantees.
        if (receive_and_close(fd, message, sizeof message, 1) != 0)
            fail("unexpected handle");
        r.latencies[i] = seconds_since(t0);
    }
    r.seconds = seconds_since(start);
    r.operations = o.count;
    ::close(handle);
    ::close(fd);
    return r;
}

} // namespace

void run_server(const Options& o) {
    ::signal(SIGPIPE, SIG_IGN);
    if (o.workload == Workload::seqpacket)
        return seqpacket_server(o);
    const int listener = listen_on(o.name, SOCK_STREAM);
    if (o.workload == Workload::connect) {
        for (std::uint64_t i = 0; i < o.count; ++i)
            ::close(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
    } else {
        const int c = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        std::vector<char> buffer(std::max(read_buffer_bytes, o.size));
        switch (o.workload) {
        case Workload::throughput:
            for (std::uint64_t total = 0; total < o.throughput_bytes();) {
                const ssize_t n = ::read(c, buffer.data(), buffer.size());
                if (n <= 0)
                    fail("read");
                total += static_cast<std::uint64_t>(n);
            }
            write_all(c, "k", 1);
            break;
        case Workload::pingpong:
            for (std::uint64_t i = 0; i < o.count; ++i) {
                read_exact(c, buffer.data(), pingpong_bytes);
                write_all(c, buffer.data(), pingpong_bytes);
            }
            break;
        case Workload::handles1:
        case Workload::handles64:
            for (std::uint64_t i = 0; i < o.count; ++i)
                if (receive_and_close(c, buffer.data(), handle_message_bytes, o.handles_per_message()) !=
                    o.handles_per_message())
                    fail("handles missing");
            write_all(c, "k", 1);
            break;
        case Workload::connect:
        case Workload::seqpacket: break;
        }
        ::close(c);
    }
    ::close(listener);
    ::unlink(o.name.c_str());
}

Result run_client(const Options& o) {
    ::signal(SIGPIPE, SIG_IGN);
    if (o.workload == Workload::seqpacket)
        return seqpacket_client(o);
    Result r;
    if (o.workload == Workload::connect) {
        ::close(connect_to(o.name, SOCK_STREAM)); // the first cycle waits for the server; time the rest
        const sockaddr_un a = address_of(o.name);
        const auto start = Clock::now();
        for (std::uint64_t i = 1; i < o.count; ++i) {
            const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0)
                fail("connect");
            char eof;
            if (::read(fd, &eof, 1) != 0) // the server accepted and closed
                fail("expected end of stream");
            ::close(fd);
        }
        r.seconds = seconds_since(start);
        r.operations = o.count - 1;
        return r;
    }
    const int fd = connect_to(o.name, SOCK_STREAM);
    char ack;
    switch (o.workload) {
    case Workload::throughput: {
        const std::vector<char> chunk(o.size, 'x');
        const auto start = Clock::now();
        for (std::uint64_t sent = 0; sent < o.throughput_bytes(); sent += o.size)
            write_all(fd, chunk.data(), chunk.size());
        read_exact(fd, &ack, 1);
        r.seconds = seconds_since(start);
        r.operations = o.throughput_bytes();
        break;
    }
    case Workload::pingpong: {
        char message[pingpong_bytes] = {};
        r.latencies.resize(o.count);
        const auto start = Clock::now();
        for (std::uint64_t i = 0; i < o.count; ++i) {
            const auto t0 = Clock::now();
            write_all(fd, message, sizeof message);
            read_exact(fd, message, sizeof message);
            r.latencies[i] = seconds_since(t0);
        }
        r.seconds = seconds_since(start);
        r.operations = o.count;
        break;
    }
    case Workload::handles1:
    case Workload::handles64: {
        int fds[64];
        fds[0] = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        for (std::size_t i = 1; i < o.handles_per_message(); ++i)
            fds[i] = ::fcntl(fds[0], F_DUPFD_CLOEXEC, 0);
        const auto start = Clock::now();
        char data[handle_message_bytes] = {};
        for (std::uint64_t i = 0; i < o.count; ++i)
            send_with(fd, fds, o.handles_per_message(), data, sizeof data);
        read_exact(fd, &ack, 1);
        r.seconds = seconds_since(start);
        r.operations = o.count;
        break;
    }
    case Workload::connect:
    case Workload::seqpacket: break;
    }
    ::close(fd);
    return r;
}

} // namespace bench
