// Async tests of what the Windows backend does on its own: a listener's
// instances re-armed on the completion port while 32 clients race for them
// (no client ever finds the name missing), async_connect waiting for a busy
// server without blocking the thread, and release() with a write still in
// the kernel (also with two threads running the io_context, when the write's
// completion may be taken on the other). Callback tokens only: each Asio operation instantiated here
// adds COFF sections (tests/meson.build).
#include "async_win32_support.hpp"

#include "../../support/process.hpp"
#include "../../support/resources.hpp"
#include "../../support/thread.hpp"

#include <localsock/asio.hpp>
#include <localsock/localsock.hpp>

#include <array>
#include <atomic>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

using namespace localsock;
using namespace std::chrono_literals;
using testing::win32_async::Completion;

namespace {

constexpr int racing_clients = 32;
constexpr std::string_view served_mark = "served";
constexpr std::string_view answer_text = "answer";

} // namespace

// Child: args[1] clients on as many threads, released at once. Each
// connects (waiting while every instance is busy), sends "c" with a pipe's
// write end, and expects "s" with a file holding answer_text and
// served_mark in its pipe. Any connect error fails the child, and
// connection_refused (the name briefly without an instance) is reported as such.
CHILD_ROLE(async_racing_clients) {
    const LocalSocketName name = LocalSocketName::parse(args.at(0));
    const int count = std::stoi(args.at(1));
    std::atomic<int> ready{0}, refused{0}, failed{0}, done{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < count; ++i) {
        threads.emplace_back([&] {
            ConnectOptions options;
            options.busy_timeout = 15s;
            ++ready;
            while (ready.load() < count)
                std::this_thread::yield();
            std::error_code ec;
            LocalStream stream = LocalStream::connect(name, options, ec);
            if (ec) {
                std::fprintf(stderr, "connect: %s\n", ec.message().c_str());
                ++(ec == std::errc::connection_refused ? refused : failed);
                return;
            }
            auto [pipe_read, pipe_write] = testing::make_pipe();
            stream.send("c", {pipe_write.borrow()});
            pipe_write.reset();
            char tag = 0;
            std::vector<OwnedHandle> handles;
            if (stream.receive(MutableBuffer(&tag, 1), handles) != 1 || tag != 's' || handles.size() != 1 ||
                testing::read_whole_file(handles[0]) != answer_text ||
                testing::read_handle(pipe_read, served_mark.size()) != served_mark) {
                ++failed;
                return;
            }
            ++done;
        });
    }
    for (std::thread& t : threads)
        t.join();
    CHILD_REQUIRE(refused.load() == 0);
    CHILD_REQUIRE(failed.load() == 0);
    CHILD_REQUIRE(done.load() == count);
    return 0;
}

namespace {

// The server: an async_accept loop taking `total` connections; each one
// receives a byte and a pipe's write end, writes served_mark into it, and
// answers "s" with a file.
struct RaceServer {
    struct Connection {
        explicit Connection(AsyncStream<> s) : stream(std::move(s)) {}
        AsyncStream<> stream;
        char tag = 0;
        std::vector<OwnedHandle> handles;
        OwnedHandle answer;
    };

    RaceServer(AsyncListener<>& l, int n) : listener(l), total(n) {}

    AsyncListener<>& listener;
    int total;
    int accepted = 0, served = 0, errors = 0;
    std::vector<std::unique_ptr<Connection>> connections;

    void accept_next() {
        listener.async_accept([this](net_error_code ec, AsyncStream<> stream) {
            if (ec) {
                MESSAGE("accept: ", ec.message());
                ++errors;
                return;
            }
            connections.push_back(std::make_unique<Connection>(std::move(stream)));
            serve(*connections.back());
            if (++accepted < total)
                accept_next();
        });
    }

    void serve(Connection& c) {
        c.stream.async_receive(net::buffer(&c.tag, 1), c.handles, [this, &c](net_error_code ec, std::size_t n) {
            if (ec || n != 1 || c.tag != 'c' || c.handles.size() != 1) {
                ++errors;
                return;
            }
            testing::write_handle(c.handles[0], served_mark);
            c.handles.clear();
            c.answer = testing::file_with(answer_text);
            c.stream.async_send(net::buffer("s", 1), std::span<const OwnedHandle>(&c.answer, 1),
                                [this](net_error_code sent, std::size_t) { ++(sent ? errors : served); });
        });
    }
};

void race_for_instances(const ListenerOptions& options) {
    const testing::HandleLeakCheck leaks;
    const auto started = std::chrono::steady_clock::now();
    net::io_context context;
    const LocalSocketName name = testing::unique_namespaced_name("async-race");
    AsyncListener<> listener(context, LocalListener::bind(name, options));
    auto child = testing::ChildProcess::spawn("async_racing_clients", {name.to_string(), std::to_string(racing_clients)});
    RaceServer server(listener, racing_clients);
    server.accept_next();
    REQUIRE(testing::run_until(context, [&] { return server.served + server.errors == racing_clients; }));
    CHECK(child.wait() == 0);
    CHECK(server.errors == 0);
    CHECK(server.accepted == racing_clients);
    CHECK(server.served == racing_clients);
    MESSAGE(racing_clients, " racing clients served in ",
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count(),
            " ms (backlog ", options.backlog, ")");
}

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

// A sync listener with one instance, taken by a connected client.
struct BusyServer {
    LocalSocketName name = testing::unique_namespaced_name("async-busy-win32");
    LocalListener listener = LocalListener::bind(name, {.backlog = 1});
    LocalStream first = LocalStream::connect(name);
};

} // namespace

TEST_SUITE("async") {

// A client may come before the listener is made asynchronous (its instance
// waits with the sync pool's connect) or after, before the first accept
// (no connect of the port's yet): either is accepted and served through the
// port (its pipe bound then: the benchmark server hung when its client came
// first), and a second client after it too.
void clients_before_the_first_accept(bool before_assign) {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    const LocalSocketName name = testing::unique_namespaced_name("async-early");
    LocalListener sync_listener = LocalListener::bind(name);
    std::optional<LocalStream> early;
    if (before_assign)
        early = LocalStream::connect(name);
    AsyncListener<> listener(context, std::move(sync_listener));
    if (!before_assign)
        early = LocalStream::connect(name);
    for (int round = 0; round < 2; ++round) {
        CAPTURE(round);
        std::optional<LocalStream> client = round == 0 ? std::move(early) : LocalStream::connect(name);
        std::optional<AsyncStream<>> accepted;
        std::optional<net_error_code> result;
        listener.async_accept([&](net_error_code ec, AsyncStream<> stream) {
            result = ec;
            accepted.emplace(std::move(stream));
        });
        REQUIRE(testing::run_until(context, [&] { return result.has_value(); }, 5s));
        REQUIRE_FALSE(*result);
        // Both directions through the port (a connection whose pipe the
        // port never saw must be bound to it, or no completion comes).
        client->write_all("x");
        std::array<char, 1> in{};
        Completion read, write;
        accepted->async_read_some(net::buffer(in), read.handler());
        accepted->async_write_some(net::buffer("y", 1), write.handler());
        REQUIRE(testing::run_until(context, [&] { return read.done() && write.done(); }, 5s));
        CHECK_FALSE(*read.ec);
        CHECK(in[0] == 'x');
        CHECK_FALSE(*write.ec);
        char y = 0;
        CHECK(client->read_some(MutableBuffer(&y, 1)) == 1);
        CHECK(y == 'y');
    }
}

TEST_CASE("async win32: a client that came before the listener was asynchronous") {
    clients_before_the_first_accept(true);
}

// (Found a bug: the report of an instance's connect cancelled between two
// accepts, arriving after the instance was armed again, clobbered the new
// connect's state; that connect stayed pending, untracked, and the
// io_context's destruction waited for it for ever.)
TEST_CASE("async win32: a client that came after the listener was asynchronous, before the first accept") {
    clients_before_the_first_accept(false);
}

TEST_CASE("async win32: 32 clients racing for the instances; every one is accepted, none refused") {
    SUBCASE("default backlog") { race_for_instances({}); }
    SUBCASE("backlog 1") { race_for_instances({.backlog = 1}); }
}

TEST_CASE("async win32: a connect to a busy server waits without blocking, and succeeds once it accepts") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    BusyServer busy;
    AsyncStream<> stream(context);
    Completion connect;
    stream.async_connect(busy.name, {.busy_timeout = 2s}, connect.handler());
    {
        Ticker ticker(context);
        testing::run_for(context, 100ms);
        CHECK_FALSE(connect.done());
        CHECK(ticker.ticks >= 10); // the thread ran other handlers meanwhile (~100 when idle)
    }
    LocalStream served = busy.listener.accept(); // a fresh instance waits now
    REQUIRE(testing::run_until(context, [&] { return connect.done(); }, 3s));
    CHECK_FALSE(*connect.ec);
    REQUIRE(stream.is_open());

    // The connection works, with a handle.
    LocalStream server = busy.listener.accept();
    const OwnedHandle file = testing::file_with("over a busy server");
    const std::array<BorrowedHandle, 1> lent{file.borrow()};
    Completion sent;
    stream.async_send(net::buffer("x", 1), std::span<const BorrowedHandle>(lent), sent.handler());
    REQUIRE(testing::run_until(context, [&] { return sent.done(); }));
    CHECK_FALSE(*sent.ec);
    char x = 0;
    std::vector<OwnedHandle> handles;
    CHECK(server.receive(MutableBuffer(&x, 1), handles) == 1);
    CHECK(x == 'x');
    REQUIRE(handles.size() == 1);
    CHECK(testing::read_whole_file(handles[0]) == "over a busy server");
}

TEST_CASE("async win32: a server busy for longer than busy_timeout is timed_out") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    BusyServer busy;
    AsyncStream<> stream(context);
    Completion connect;
    const auto started = std::chrono::steady_clock::now();
    stream.async_connect(busy.name, {.busy_timeout = 50ms}, connect.handler());
    REQUIRE(testing::run_until(context, [&] { return connect.done(); }));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    CHECK(testing::std_error(*connect.ec) == std::errc::timed_out);
    CHECK(elapsed >= 50ms);
    CHECK(elapsed < 1s);
    CHECK_FALSE(stream.is_open());
}

TEST_CASE("async win32: release() with a write in the kernel gives back a working blocking stream") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    auto [a, peer] = LocalStream::pair();
    AsyncStream<> async(context, std::move(a));
    const auto filled = testing::win32_async::fill_pipe(context, async, peer.native_handle());
    const OwnedHandle file = testing::file_with("in flight at release");
    const std::array<BorrowedHandle, 1> lent{file.borrow()};
    Completion send;
    async.async_send(net::buffer("h", 1), std::span<const BorrowedHandle>(lent), send.handler());
    testing::run_for(context, 30ms);
    REQUIRE_FALSE(send.done()); // the pipe is full: the write waits in the kernel

    LocalStream released = async.release();
    CHECK_FALSE(async.is_open());
    REQUIRE(released.is_open());
    REQUIRE(testing::run_until(context, [&] { return send.done(); }));
    CHECK(testing::aborted(*send.ec)); // its byte count: test_async_win32_cancel.cpp

    // The peer reads what was filled and no handle; the released stream,
    // blocking again, writes after it and the peer gets that in order.
    std::string in(filled.payload, '\0');
    std::vector<OwnedHandle> handles;
    std::size_t got = 0;
    while (got < in.size())
        got += peer.receive(buffer(in.data() + got, in.size() - got), handles);
    CHECK(in == std::string(filled.payload, 'f'));
    CHECK(handles.empty());
    released.send("after", {file.borrow()});
    std::array<char, 5> after{};
    std::size_t n = 0;
    while (n < after.size())
        n += peer.receive(buffer(after.data() + n, after.size() - n), handles);
    CHECK(std::string(after.data(), 5) == "after");
    REQUIRE(handles.size() == 1);
    CHECK(testing::read_whole_file(handles[0]) == "in flight at release");
    peer.set_nonblocking(true);
    std::error_code ec;
    char more = 0;
    peer.receive(MutableBuffer(&more, 1), handles, ec);
    CHECK(ec == std::errc::operation_would_block); // the cancelled "h" never came
}

// The write's completion may be dequeued, and its OVERLAPPED freed, by the
// second thread while release() runs on the strand: the copy of the handle
// in flight is closed by the completion's report, not by release().
TEST_CASE("async win32: release() on the strand of an io_context run by two threads, a write in the kernel") {
    const testing::HandleLeakCheck leaks;
    net::io_context context(2);
    const auto strand = net::make_strand(context);
    auto [a, peer] = LocalStream::pair();
    AsyncStream<net::strand<net::io_context::executor_type>> async(strand, std::move(a));
    testing::win32_async::fill_pipe(context, BorrowedHandle(peer.native_handle()), [&](std::size_t n, auto handler) {
        async.async_write_some(net::buffer(testing::win32_async::filler().data(), n), std::move(handler));
    });
    auto [pipe_read, pipe_write] = testing::make_pipe();
    const std::array<BorrowedHandle, 1> lent{pipe_write.borrow()};
    std::atomic<bool> sent{false}, released_it{false};
    net_error_code send_ec;
    async.async_send(net::buffer("h", 1), std::span<const BorrowedHandle>(lent), [&](net_error_code ec, std::size_t) {
        send_ec = ec;
        sent = true;
    });
    pipe_write.reset(); // the copy in flight is the write end's last
    LocalStream released;
    {
        if (context.stopped())
            context.restart();
        auto work = net::make_work_guard(context);
        testing::Thread first([&] { context.run(); });
        testing::Thread second([&] { context.run(); });
        std::this_thread::sleep_for(30ms); // the write waits in the kernel: the pipe is full
        CHECK_FALSE(sent);
        net::post(strand, [&] {
            released = async.release();
            released_it = true;
        });
        const auto deadline = std::chrono::steady_clock::now() + testing::patience;
        while (!(sent && released_it) && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(1ms);
        work.reset();
        first.join();
        second.join();
    }
    REQUIRE(sent);
    REQUIRE(released_it);
    CHECK(testing::aborted(send_ec));
    CHECK(released.is_open());
    CHECK(testing::win32_async::writers_gone(pipe_read)); // nothing went: the copy was closed
}

} // TEST_SUITE
