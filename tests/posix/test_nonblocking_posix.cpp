// IPC tests (POSIX): non-blocking use as event loops make it — O_NONBLOCK set
// or cleared on native_handle() behind localsock's back, and listeners that
// accept straight into non-blocking mode.
#include <doctest/doctest.h>

#include "../support/resources.hpp"

#include <localsock/localsock.hpp>

#include <array>
#include <chrono>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>

using namespace localsock;
using namespace std::chrono_literals;

namespace {

void set_o_nonblock(native_handle_type fd, bool on) {
    const int flags = ::fcntl(fd, F_GETFL);
    REQUIRE(flags >= 0);
    REQUIRE(::fcntl(fd, F_SETFL, on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK)) == 0);
}

bool has_o_nonblock(native_handle_type fd) { return (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0; }

void set_receive_timeout(native_handle_type fd, std::chrono::milliseconds t) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(t.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000) * 1000);
    REQUIRE(::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
}

} // namespace

TEST_SUITE("ipc") {

TEST_CASE("nonblocking: O_NONBLOCK set behind localsock's back reads would_block, not timed_out") {
    const testing::HandleLeakCheck leaks;
    std::array<char, 16> data{};
    std::vector<OwnedHandle> handles;
    std::error_code ec;
    {
        auto [a, b] = LocalStream::pair();
        set_o_nonblock(a.native_handle(), true); // as an event loop does
        a.read_some(buffer(data), ec);
        CHECK(ec == std::errc::operation_would_block);
        a.receive(buffer(data), handles, ec);
        CHECK(ec == std::errc::operation_would_block);

        // The other way round: localsock made it non-blocking, the loop made
        // it blocking again, and a timeout expires as a timeout.
        a.set_nonblocking(true);
        set_o_nonblock(a.native_handle(), false);
        a.set_read_timeout(30ms);
        a.read_some(buffer(data), ec);
        CHECK(ec == std::errc::timed_out);
    }
    {
        auto [a, b] = LocalSeqpacket::pair();
        set_o_nonblock(a.native_handle(), true);
        (void)a.receive(buffer(data), handles, ec);
        CHECK(ec == std::errc::operation_would_block);
        a.set_nonblocking(true);
        set_o_nonblock(a.native_handle(), false);
        a.set_read_timeout(30ms);
        (void)a.receive(buffer(data), handles, ec);
        CHECK(ec == std::errc::timed_out);
    }
    {
        auto [a, b] = LocalDatagram::pair();
        set_o_nonblock(a.native_handle(), true);
        (void)a.receive(buffer(data), handles, ec);
        CHECK(ec == std::errc::operation_would_block);
    }
}

TEST_CASE("nonblocking: a listener's accept decides would_block or timed_out by the descriptor") {
    const testing::HandleLeakCheck leaks;
    LocalListener listener = LocalListener::bind(testing::unique_namespaced_name("nb-accept"));
    std::error_code ec;
    set_o_nonblock(listener.native_handle(), true);
    CHECK_FALSE(listener.accept(ec).is_open());
    CHECK(ec == std::errc::operation_would_block);

    // Blocking with SO_RCVTIMEO: its expiry is a timeout, not "would block".
    set_o_nonblock(listener.native_handle(), false);
    set_receive_timeout(listener.native_handle(), 30ms);
    CHECK_FALSE(listener.accept(ec).is_open());
    CHECK(ec == std::errc::timed_out);
}

TEST_CASE("nonblocking: nonblocking_accepted hands out non-blocking sockets from accept4") {
    const testing::HandleLeakCheck leaks;
    std::array<char, 16> data{};
    std::vector<OwnedHandle> handles;
    std::error_code ec;
    {
        const LocalSocketName name = testing::unique_namespaced_name("nb-accepted");
        LocalListener listener = LocalListener::bind(name, {.nonblocking_accepted = true});
        LocalStream client = LocalStream::connect(name);
        LocalStream server = listener.accept(); // the listener itself still blocks
        CHECK_FALSE(has_o_nonblock(listener.native_handle()));
        CHECK(has_o_nonblock(server.native_handle()));
        server.set_read_timeout(2s); // were it blocking: timed_out, not a hang
        CHECK((::fcntl(server.native_handle(), F_GETFD) & FD_CLOEXEC) != 0); // and still close-on-exec
        server.read_some(buffer(data), ec);
        CHECK(ec == std::errc::operation_would_block);
        client.write_all("x");
        CHECK(server.read_some(buffer(data)) == 1);
    }
    {
        const LocalSocketName name = testing::unique_namespaced_name("nb-accepted-seq");
        LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name, {.nonblocking_accepted = true});
        LocalSeqpacket client = LocalSeqpacket::connect(name);
        LocalSeqpacket server = listener.accept();
        CHECK(has_o_nonblock(server.native_handle()));
        server.set_read_timeout(2s);
        (void)server.receive(buffer(data), handles, ec);
        CHECK(ec == std::errc::operation_would_block);
    }
    {
        // Default: blocking, even from a non-blocking listener.
        const LocalSocketName name = testing::unique_namespaced_name("nb-default");
        LocalListener listener = LocalListener::bind(name, {.nonblocking = true});
        LocalStream client = LocalStream::connect(name);
        LocalStream server = listener.accept();
        CHECK_FALSE(has_o_nonblock(server.native_handle()));
    }
}

} // TEST_SUITE

TEST_CASE("nonblocking: a non-blocking connect to a full backlog is would_block at once, then connects") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("full-backlog");
    LocalListener listener = LocalListener::bind(name, {.backlog = 0});
    std::vector<LocalStream> queued;
    std::error_code ec;
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 64; ++i) { // fill the backlog
        LocalStream client = LocalStream::connect(name, ConnectOptions{.nonblocking = true}, ec);
        if (ec)
            break;
        CHECK(has_o_nonblock(client.native_handle()));
        queued.push_back(std::move(client));
    }
    CHECK(ec == std::errc::operation_would_block);
    CHECK(std::chrono::steady_clock::now() - started < 1s); // no wait for busy_timeout
    CHECK_FALSE(queued.empty());

    LocalStream accepted = listener.accept(); // room again
    LocalStream late = LocalStream::connect(name, ConnectOptions{.nonblocking = true});
    CHECK(late.is_open());
    std::array<char, 4> data{};
    late.read_some(buffer(data), ec); // non-blocking: the error at once, not a wait
    CHECK(ec == std::errc::operation_would_block);
}
