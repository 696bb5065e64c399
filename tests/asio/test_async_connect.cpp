// Async tests: async_connect. A full backlog is waited for without blocking
// the thread, until the server accepts, busy_timeout passes (timed_out) or
// the connect is cancelled; a name nobody listens on is refused at once.
#include "async_support.hpp"

#include "../support/resources.hpp"

#include <localsock/asio.hpp>
#include <localsock/localsock.hpp>

#include <array>
#include <optional>
#include <vector>

using namespace localsock;
using namespace std::chrono_literals;

namespace {

// A listener with a backlog of 1, full of connections nobody accepted yet.
struct BusyListener {
    LocalSocketName name = testing::unique_namespaced_name("async-busy");
    LocalListener listener;
    std::vector<LocalStream> queued;

    BusyListener() {
        ListenerOptions options;
        options.backlog = 1;
        listener = LocalListener::bind(name, options);
        ConnectOptions nonblocking;
        nonblocking.nonblocking = true;
        for (;;) {
            std::error_code ec;
            LocalStream s = LocalStream::connect(name, nonblocking, ec);
            if (ec) {
                REQUIRE(ec == std::errc::operation_would_block);
                break;
            }
            queued.push_back(std::move(s));
            REQUIRE(queued.size() < 64);
        }
    }
};

// Counts ticks of a 1 ms timer: proof the thread kept running handlers.
struct Ticker {
    net::steady_timer timer;
    int ticks = 0;
    bool stop = false;
    explicit Ticker(net::io_context& context) : timer(context) { arm(); }
    void arm() {
        timer.expires_after(1ms);
        timer.async_wait([this](net_error_code ec) {
            if (ec || stop)
                return;
            ++ticks;
            arm();
        });
    }
    ~Ticker() {
        stop = true;
        timer.cancel();
    }
};

} // namespace

TEST_SUITE("async") {

TEST_CASE("async connect: a full backlog is waited for without blocking; the connect ends when the server accepts") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    BusyListener busy;
    AsyncStream<> stream(context);
    std::optional<net_error_code> connected;
    stream.async_connect(busy.name, [&](net_error_code ec) { connected = ec; });
    {
        Ticker ticker(context);
        testing::run_for(context, 60ms);
        CHECK_FALSE(connected.has_value());
        CHECK(ticker.ticks >= 5); // the thread ran other handlers meanwhile (~60 when idle)
    }
    // Accept everything queued, ours included; the connect completes.
    std::vector<LocalStream> accepted;
    accepted.push_back(busy.listener.accept());
    REQUIRE(testing::run_until(context, [&] { return connected.has_value(); }, 2s));
    CHECK_FALSE(*connected);
    CHECK(stream.is_open());
    for (std::size_t i = 0; i < busy.queued.size(); ++i)
        accepted.push_back(busy.listener.accept());
    // The connection works, handles included.
    OwnedHandle file = testing::file_with("over an async connection");
    const std::array<BorrowedHandle, 1> lent{file.borrow()};
    auto sent = testing::complete_with<std::size_t, testing::TokenKind::callback>(context, [&](auto token) {
        return stream.async_send(net::buffer("x", 1), std::span<const BorrowedHandle>(lent), token);
    });
    CHECK_FALSE(sent.ec);
    std::vector<OwnedHandle> handles;
    char x = 0;
    bool found = false;
    for (LocalStream& s : accepted) {
        s.set_nonblocking(true);
        std::error_code ec;
        if (s.receive(MutableBuffer(&x, 1), handles, ec) == 1) {
            found = true;
            break;
        }
    }
    CHECK(found);
    REQUIRE(handles.size() == 1);
    CHECK(testing::read_whole_file(handles[0]) == "over an async connection");
}

TEST_CASE("async connect: a full backlog for longer than busy_timeout is timed_out") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    BusyListener busy;
    AsyncStream<> stream(context);
    ConnectOptions options;
    options.busy_timeout = 100ms;
    const auto started = std::chrono::steady_clock::now();
    auto result = testing::complete_with<testing::NoValue, testing::TokenKind::as_tuple>(context, [&](auto token) {
        return stream.async_connect(busy.name, options, token);
    });
    const auto elapsed = std::chrono::steady_clock::now() - started;
    CHECK(testing::std_error(result.ec) == std::errc::timed_out);
    CHECK(elapsed >= 100ms);
    CHECK(elapsed < 2s);
    CHECK_FALSE(stream.is_open());
}

TEST_CASE("async connect: cancellable while waiting, through its slot or cancel()") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    BusyListener busy;
    AsyncStream<> stream(context);
    std::optional<net_error_code> connected;
    net::cancellation_signal signal;
    SUBCASE("slot, total") {
        stream.async_connect(busy.name, net::bind_cancellation_slot(signal.slot(), [&](net_error_code ec) {
                                 connected = ec;
                             }));
        testing::run_for(context, 20ms);
        REQUIRE_FALSE(connected.has_value());
        signal.emit(net::cancellation_type::total);
    }
    SUBCASE("cancel()") {
        stream.async_connect(busy.name, [&](net_error_code ec) { connected = ec; });
        testing::run_for(context, 20ms);
        REQUIRE_FALSE(connected.has_value());
        stream.cancel();
    }
    const auto cancelled = std::chrono::steady_clock::now();
    REQUIRE(testing::run_until(context, [&] { return connected.has_value(); }));
    CHECK(std::chrono::steady_clock::now() - cancelled < 500ms); // at once, not at busy_timeout
    CHECK(testing::aborted(*connected));
    CHECK_FALSE(stream.is_open());
    // The object connects afterwards.
    busy.listener.accept();
    auto again = testing::complete_with<testing::NoValue, testing::TokenKind::callback>(context, [&](auto token) {
        return stream.async_connect(busy.name, token);
    });
    CHECK_FALSE(again.ec);
    CHECK(stream.is_open());
}

TEST_CASE("async connect: nobody listening is refused; an open stream is already connected") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    AsyncStream<> stream(context);
    const LocalSocketName nobody = testing::unique_namespaced_name("async-nobody");
    auto refused = testing::complete_with<testing::NoValue, testing::TokenKind::future>(context, [&](auto token) {
        return stream.async_connect(nobody, token);
    });
    CHECK(testing::std_error(refused.ec) == std::errc::connection_refused);
    CHECK_FALSE(stream.is_open());

    const LocalSocketName name = testing::unique_namespaced_name("async-connect");
    LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name);
    AsyncSeqpacket<> socket(context);
    auto ok = testing::complete_with<testing::NoValue, testing::TokenKind::deferred>(context, [&](auto token) {
        return socket.async_connect(name, token);
    });
    CHECK_FALSE(ok.ec);
    LocalSeqpacket server = listener.accept();
    auto twice = testing::complete_with<testing::NoValue, testing::TokenKind::callback>(context, [&](auto token) {
        return socket.async_connect(name, token);
    });
    CHECK(testing::std_error(twice.ec) == std::errc::already_connected);
    CHECK(socket.is_open());
}

} // TEST_SUITE
