// Contender "async-epoll": the floor of the async table, the best server one
// writes by hand. One thread, non-blocking sockets, each registered once with
// epoll, edge-triggered, for input only (output readiness only while an echo
// is stuck: registered for good, every read of ours by the peer would wake the
// loop). Every call is tried first; epoll_wait is reached only when it would
// block, or when a read came back short: a Unix stream read stops short of the
// buffer only when the socket has nothing more (or at a message carrying
// descriptors, which the echo workloads never send), so the next read would
// only say EAGAIN. libuv skips that read too (Asio's own sockets do not). Any
// number of clients; it returns when `clients` have come and gone.
//
// Built a second time as "async-epoll-eagain", which reads until EAGAIN
// every time: what the short-read rule is worth.
#include "harness.hpp"
#include "posix_io.hpp"

#include <cerrno>
#include <csignal>
#include <memory>
#include <vector>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace bench {

#if defined(BENCH_EPOLL_UNTIL_EAGAIN)
const char* const contender_name = "async-epoll-eagain";
constexpr bool short_read_drains = false;
#else
const char* const contender_name = "async-epoll";
constexpr bool short_read_drains = true;
#endif

bool supports(Workload workload) {
    return workload == Workload::pingpong || workload == Workload::handles1 || workload == Workload::handles64 ||
           workload == Workload::fanin;
}

namespace {

using namespace posix;

struct Connection {
    int fd = -1;
    std::uint64_t messages = 0; // handle workloads: the ack goes after `count`
    std::size_t unsent = 0;     // echo bytes the socket did not take yet, from `buffer + sent`
    std::size_t sent = 0;
    char buffer[echo_buffer_bytes];
};

class Server {
public:
    explicit Server(const Options& o) : o_(o), listener_(listen_on(o.name, SOCK_STREAM | SOCK_NONBLOCK)) {
        poller_ = ::epoll_create1(EPOLL_CLOEXEC);
        watch(listener_, EPOLLIN, nullptr);
    }

    ~Server() {
        ::close(poller_);
        ::close(listener_);
        ::unlink(o_.name.c_str());
    }

    void run() {
        epoll_event events[256];
        while (finished_ < o_.clients) {
            const int ready = ::epoll_wait(poller_, events, 256, -1);
            if (ready < 0 && errno != EINTR)
                fail("epoll_wait");
            for (int i = 0; i < ready; ++i) {
                if (auto* c = static_cast<Connection*>(events[i].data.ptr))
                    serve(*c);
                else
                    accept_all();
            }
        }
    }

private:
    void watch(int fd, std::uint32_t events, Connection* c, int op = EPOLL_CTL_ADD) {
        epoll_event e{};
        e.events = events;
        e.data.ptr = c;
        if (::epoll_ctl(poller_, op, fd, &e) != 0)
            fail("epoll_ctl");
    }

    void accept_all() {
        for (;;) {
            const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    return;
                fail("accept4");
            }
            connections_.push_back(std::make_unique<Connection>());
            Connection& c = *connections_.back();
            c.fd = fd;
            watch(fd, EPOLLIN | EPOLLET, &c);
            serve(c); // the first message may be there already
        }
    }

    // Reads until the socket has nothing more (the edge-triggered contract),
    // unless an echo gets stuck: then output readiness resumes it.
    void serve(Connection& c) {
        if (c.unsent > 0) {
            if (!flush(c))
                return;
            watch(c.fd, EPOLLIN | EPOLLET, &c, EPOLL_CTL_MOD);
        }
        const bool echoes = o_.workload == Workload::pingpong || o_.workload == Workload::fanin;
        for (;;) {
            const ssize_t n = echoes ? echo(c) : receive(c);
            if (n == 0) {
                ::close(c.fd);
                ++finished_;
                return;
            }
            if (n < 0) {
                if (errno == EAGAIN)
                    return;
                if (errno != EINTR)
                    fail("receive");
                continue;
            }
            if (c.unsent > 0 && !flush(c)) {
                watch(c.fd, EPOLLIN | EPOLLOUT | EPOLLET, &c, EPOLL_CTL_MOD);
                return;
            }
            if (short_read_drains && echoes && static_cast<std::size_t>(n) < sizeof c.buffer)
                return; // drained: the next message comes with the next edge
        }
    }

    ssize_t echo(Connection& c) {
        const ssize_t n = ::recv(c.fd, c.buffer, sizeof c.buffer, 0);
        if (n > 0) {
            c.sent = 0;
            c.unsent = static_cast<std::size_t>(n);
        }
        return n;
    }

    ssize_t receive(Connection& c) {
        std::size_t handles = 0;
        const ssize_t n = try_receive_and_close(c.fd, c.buffer, handle_message_bytes, o_.handles_per_message(), handles);
        if (n > 0) {
            if (n != static_cast<ssize_t>(handle_message_bytes) || handles != o_.handles_per_message())
                fail("handles missing");
            if (++c.messages == o_.count) {
                c.buffer[0] = 'k';
                c.sent = 0;
                c.unsent = 1;
            }
        }
        return n;
    }

    // False if the socket would block.
    static bool flush(Connection& c) {
        while (c.unsent > 0) {
            const ssize_t n = ::send(c.fd, c.buffer + c.sent, c.unsent, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN)
                    return false;
                if (errno != EINTR)
                    fail("send");
                continue;
            }
            c.sent += static_cast<std::size_t>(n);
            c.unsent -= static_cast<std::size_t>(n);
        }
        return true;
    }

    const Options& o_;
    int listener_;
    int poller_;
    std::vector<std::unique_ptr<Connection>> connections_;
    std::size_t finished_ = 0;
};

} // namespace

void run_server(const Options& o) {
    ::signal(SIGPIPE, SIG_IGN);
    posix::DescriptorLeakCheck leak_check; // every descriptor it opened or received is closed at the end
    Server(o).run();
}

} // namespace bench
