// Hostile-environment tests (POSIX): signals. A handler installed without
// SA_RESTART interrupts every blocking call; a timeout must still be a
// deadline, and a connect must really connect or fail.
#include <doctest/doctest.h>

#include "../support/resources.hpp"
#include "../support/thread.hpp"

#include <localsock/localsock.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <optional>
#include <thread>
#include <vector>

#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>

using namespace localsock;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::atomic<int> signals_caught{0};
extern "C" void count_signal(int) { signals_caught.fetch_add(1, std::memory_order_relaxed); }

// Sends SIGUSR1 to one thread every `period` while it lives; the handler is
// installed without SA_RESTART (so every blocking call sees EINTR) and the
// previous disposition comes back afterwards.
class SignalStorm {
public:
    SignalStorm(pthread_t target, std::chrono::milliseconds period) : target_(target) {
        struct sigaction action {};
        action.sa_handler = count_signal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = 0; // no SA_RESTART
        REQUIRE(::sigaction(SIGUSR1, &action, &previous_) == 0);
        signals_caught = 0;
        thread_.emplace([this, period] {
            while (!stop_.load()) {
                std::this_thread::sleep_for(period);
                if (!stop_.load())
                    ::pthread_kill(target_, SIGUSR1);
            }
        });
    }
    ~SignalStorm() {
        stop();
        ::sigaction(SIGUSR1, &previous_, nullptr);
    }
    void stop() {
        stop_ = true;
        if (thread_)
            thread_->join();
    }

private:
    pthread_t target_;
    struct sigaction previous_ {};
    std::atomic<bool> stop_{false};
    std::optional<testing::Thread> thread_;
};

constexpr auto timeout = 200ms;
constexpr auto slack = 150ms;

// Runs `call` under a storm every `period` and checks that it failed with
// timed_out within the timeout and the slack, having been interrupted.
template <class Call>
void expect_deadline(std::chrono::milliseconds period, Call call, std::chrono::milliseconds slack = ::slack) {
    std::error_code ec;
    Clock::duration took{};
    {
        SignalStorm storm(::pthread_self(), period);
        const auto start = Clock::now();
        call(ec);
        took = Clock::now() - start;
    }
    CHECK(ec == std::errc::timed_out);
    CHECK(took >= timeout - 10ms);
    CHECK(took < timeout + slack);
    CHECK(signals_caught.load() >= 1); // the storm did interrupt the call
}

void set_socket_timeout(native_handle_type fd, int option, std::chrono::milliseconds t) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(t.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000) * 1000);
    REQUIRE(::setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv) == 0);
}

// Fills a's send buffer (and b's receive buffer) so that a's next write waits.
void fill_send_buffer(LocalStream& a) {
    a.set_nonblocking(true);
    const std::vector<char> chunk(1 << 16);
    std::error_code ec;
    while (!ec)
        a.write_some(buffer(chunk), ec);
    REQUIRE(ec == std::errc::operation_would_block);
    a.set_nonblocking(false);
}

} // namespace

TEST_SUITE("ipc") {

TEST_CASE("signals: a read timeout is a deadline however many signals arrive") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    a.set_read_timeout(timeout);
    std::array<char, 16> data{};
    for (const auto period : {10ms, 60ms, 100ms}) {
        CAPTURE(period.count());
        expect_deadline(period, [&](std::error_code& ec) { a.read_some(buffer(data), ec); });
        std::vector<OwnedHandle> handles; // the recvmsg path
        expect_deadline(period, [&](std::error_code& ec) { a.receive(buffer(data), handles, ec); });
    }
    // The stream's own timeout is intact: it still expires, and still reads.
    std::error_code ec;
    const auto start = Clock::now();
    a.read_some(buffer(data), ec);
    CHECK(ec == std::errc::timed_out);
    CHECK(Clock::now() - start >= timeout - 10ms);
    b.write_all("x");
    CHECK(a.read_some(buffer(data)) == 1);
}

TEST_CASE("signals: a late signal does not add to a timeout set through localsock") {
    // One signal at 150 ms into a 200 ms timeout: the deadline counts from
    // the start of the call, not from the interruption (which would end it
    // at 350 ms).
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    a.set_read_timeout(timeout);
    std::array<char, 16> data{};
    expect_deadline(150ms, [&](std::error_code& ec) { a.read_some(buffer(data), ec); }, 100ms);
    LocalListener listener = LocalListener::bind(testing::unique_namespaced_name("late-signal"));
    listener.set_accept_timeout(timeout);
    expect_deadline(150ms, [&](std::error_code& ec) { listener.accept(ec); }, 100ms);
}

TEST_CASE("signals: a write timeout is a deadline however many signals arrive") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    fill_send_buffer(a);
    a.set_write_timeout(timeout);
    const std::array<char, 4096> chunk{};
    expect_deadline(30ms, [&](std::error_code& ec) { a.write_some(buffer(chunk), ec); });
    expect_deadline(30ms, [&](std::error_code& ec) { a.write_all(buffer(chunk), ec); });
}

TEST_CASE("signals: seqpacket and datagram receive timeouts are deadlines too") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalSeqpacket::pair();
    a.set_read_timeout(timeout);
    std::array<char, 16> data{};
    std::vector<OwnedHandle> handles;
    expect_deadline(40ms, [&](std::error_code& ec) { (void)a.receive(buffer(data), handles, ec); });
    expect_deadline(40ms, [&](std::error_code& ec) { a.next_message_size(ec); });

    auto [c, d] = LocalDatagram::pair();
    c.set_read_timeout(timeout);
    expect_deadline(40ms, [&](std::error_code& ec) { (void)c.receive(buffer(data), handles, ec); });
}

TEST_CASE("signals: an accept timeout is a deadline however many signals arrive") {
    const testing::HandleLeakCheck leaks;
    LocalListener listener = LocalListener::bind(testing::unique_namespaced_name("storm-accept"));
    listener.set_accept_timeout(timeout);
    for (const auto period : {10ms, 100ms})
        expect_deadline(period, [&](std::error_code& ec) { listener.accept(ec); });

    LocalSeqpacketListener seq = LocalSeqpacketListener::bind(testing::unique_namespaced_name("storm-accept-seq"));
    seq.set_accept_timeout(timeout);
    expect_deadline(30ms, [&](std::error_code& ec) { seq.accept(ec); });

    // SO_RCVTIMEO set behind localsock's back is honoured too, counted from
    // the first interruption: signals every 20 ms keep that near the start.
    LocalListener other = LocalListener::bind(testing::unique_namespaced_name("storm-accept-raw"));
    set_socket_timeout(other.native_handle(), SO_RCVTIMEO, timeout);
    expect_deadline(20ms, [&](std::error_code& ec) { other.accept(ec); });
}

TEST_CASE("signals: connect interrupted while the backlog is full really connects") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("storm-connect");
    LocalListener listener = LocalListener::bind(name, {.backlog = 0});
    // Backlog 0 holds one pending connection; the next connect waits for room.
    LocalStream first = LocalStream::connect(name);

    std::atomic<pthread_t> connector{};
    std::atomic<bool> started{false};
    LocalStream second;
    std::error_code connect_error;
    {
        testing::Thread thread([&] {
            connector = ::pthread_self();
            started = true;
            second = LocalStream::connect(name, connect_error);
        });
        while (!started)
            std::this_thread::yield();
        SignalStorm storm(connector.load(), 10ms);
        std::this_thread::sleep_for(150ms); // the connect waits and is interrupted many times
        CHECK(signals_caught.load() >= 5);
        LocalStream accepted_first = listener.accept(); // room in the backlog now
        std::this_thread::sleep_for(50ms);
        storm.stop(); // before the thread is joined: its id must stay valid
        thread.join();
    }
    REQUIRE_FALSE(connect_error);
    REQUIRE(second.is_open());
    // Connected for real: a write goes through and the server reads it.
    std::error_code ec;
    second.write_all("x", ec);
    CHECK_FALSE(ec);
    set_socket_timeout(listener.native_handle(), SO_RCVTIMEO, 2000ms);
    LocalStream accepted = listener.accept();
    accepted.set_read_timeout(2000ms);
    char got = 0;
    accepted.read_exact(MutableBuffer(&got, 1));
    CHECK(got == 'x');
}

} // TEST_SUITE
