// Contender "raw": hand-written POSIX calls, the floor every other contender
// is measured against: socket/bind/listen/accept4/connect, read/write,
// sendmsg/recvmsg with SCM_RIGHTS. This is its server, blocking, one client
// at a time; its client (posix_client.cpp) is the one every async contender
// is measured with too.
#include "harness.hpp"
#include "posix_io.hpp"

#include <algorithm>
#include <csignal>

#include <sys/socket.h>
#include <unistd.h>

namespace bench {

const char* const contender_name = "raw";

bool supports(Workload workload) { return workload != Workload::fanin; }

namespace {

using namespace posix;

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
        case Workload::seqpacket:
        case Workload::fanin: break;
        }
        ::close(c);
    }
    ::close(listener);
    ::unlink(o.name.c_str());
}

} // namespace bench
