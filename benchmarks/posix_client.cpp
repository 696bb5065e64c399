// The hand-written POSIX client: the raw floor's client, and the one client
// every async server is measured with, so that the async table compares
// servers only. Blocking calls, one connection, except the fan-in: one thread
// driving `clients` connections with epoll, each with one round trip in
// flight at a time.
#include "harness.hpp"
#include "posix_io.hpp"

#include <algorithm>
#include <csignal>
#include <vector>

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace bench {

namespace {

using namespace posix;

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

// `count` round trips in all, `count / clients` on each connection. Every
// connection first makes one untimed round trip, so the timed part starts
// with every client accepted and served once: it measures serving, not
// accepting.
Result fanin_client(const Options& o) {
    std::vector<int> fds(o.clients);
    for (int& fd : fds)
        fd = connect_to(o.name, SOCK_STREAM);
    char message[pingpong_bytes] = {};
    for (const int fd : fds)
        write_all(fd, message, sizeof message);
    for (const int fd : fds)
        read_exact(fd, message, sizeof message);

    const int poller = ::epoll_create1(EPOLL_CLOEXEC);
    for (std::size_t i = 0; i < fds.size(); ++i) {
        epoll_event e{};
        e.events = EPOLLIN;
        e.data.u64 = i;
        if (::epoll_ctl(poller, EPOLL_CTL_ADD, fds[i], &e) != 0)
            fail("epoll_ctl");
    }
    const std::uint64_t each = std::max<std::uint64_t>(1, o.count / o.clients);
    std::vector<std::uint64_t> left(fds.size(), each);
    std::size_t busy = fds.size();
    const auto start = Clock::now();
    for (const int fd : fds)
        write_all(fd, message, sizeof message);
    epoll_event events[64];
    while (busy > 0) {
        const int ready = ::epoll_wait(poller, events, 64, -1);
        if (ready < 0)
            fail("epoll_wait");
        for (int k = 0; k < ready; ++k) {
            const std::size_t i = events[k].data.u64;
            read_exact(fds[i], message, sizeof message);
            if (--left[i] > 0)
                write_all(fds[i], message, sizeof message);
            else
                --busy;
        }
    }
    Result r;
    r.seconds = seconds_since(start);
    r.operations = each * fds.size();
    ::close(poller);
    for (const int fd : fds)
        ::close(fd);
    return r;
}

} // namespace

Result run_client(const Options& o) {
    ::signal(SIGPIPE, SIG_IGN);
    if (o.workload == Workload::seqpacket)
        return seqpacket_client(o);
    if (o.workload == Workload::fanin)
        return fanin_client(o);
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
    case Workload::seqpacket:
    case Workload::fanin: break;
    }
    ::close(fd);
    return r;
}

} // namespace bench
