// No heap allocation per message in steady state on the async path, proved
// as tests/test_allocations.cpp proves it for the sync one: this binary
// replaces the global operator new (which on ELF also serves
// liblocalsock.so) and counts. Asio recycles its operations' memory per
// thread; after a warm-up round, rounds of stream ping-pong with a handle
// and of seqpacket messages allocate nothing, with callbacks and with
// coroutines. POSIX, unsanitized builds only (like the sync proof).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "async_support.hpp"

#include "../support/resources.hpp"

#include <localsock/asio.hpp>
#include <localsock/localsock.hpp>

#include "../support/counting_allocator.hpp"

#include <array>
#include <functional>
#include <vector>

using testing::AllocationWindow;

using namespace localsock;

namespace {

constexpr int rounds = 1000;

// The objects one measurement uses: two async stream ends and two async
// seqpacket ends, a file to pass, buffers.
struct Fixture {
    net::io_context context{1};
    AsyncStream<> a{context}, b{context};
    AsyncSeqpacket<> c{context}, d{context};
    OwnedHandle file = testing::file_with("f");
    std::array<BorrowedHandle, 1> one{file.borrow()};
    std::vector<OwnedHandle> received;
    std::array<char, 8> out{}, in{};

    Fixture() {
        auto [s1, s2] = LocalStream::pair();
        a.assign(std::move(s1));
        b.assign(std::move(s2));
        auto [p1, p2] = LocalSeqpacket::pair();
        c.assign(std::move(p1));
        d.assign(std::move(p2));
        received.reserve(4);
    }
    // Runs the io_context until `remaining` reaches 0.
    void run(const int& remaining) { REQUIRE(testing::run_until(context, [&] { return remaining == 0; })); }
};

// One round with callbacks: b waits first (a readiness wait), a sends 8
// bytes and the handle, b answers 8 bytes, a receives them; then one
// seqpacket message with the handle each way.
struct CallbackRound {
    Fixture& f;
    int remaining = 0;
    int errors = 0;

    void operator()() {
        remaining = 1;
        f.b.async_receive(net::buffer(f.in), f.received, [this](net_error_code ec, std::size_t n) {
            if (ec || n != 8 || f.received.size() != 1)
                ++errors;
            f.received.clear();
            f.b.async_write_some(net::buffer(f.in), [this](net_error_code ec, std::size_t) {
                if (ec)
                    ++errors;
                f.a.async_read_some(net::buffer(f.out), [this](net_error_code ec, std::size_t n) {
                    if (ec || n != 8)
                        ++errors;
                    f.c.async_send(net::buffer(f.out), f.one, [this](net_error_code ec) {
                        if (ec)
                            ++errors;
                        f.d.async_receive(net::buffer(f.in), f.received, [this](net_error_code ec, ReceiveResult r) {
                            if (ec || r.bytes != 8 || f.received.size() != 1)
                                ++errors;
                            f.received.clear();
                            remaining = 0;
                        });
                    });
                });
            });
        });
        f.a.async_send(net::buffer(f.out), f.one, [this](net_error_code ec, std::size_t n) {
            if (ec || n != 8)
                ++errors;
        });
        f.run(remaining);
    }
};

// The same exchange as coroutines, the rounds inside one long-lived
// coroutine per side so that only the operations are measured.
net::awaitable<void> stream_client(Fixture& f, int count, int& errors) {
    for (int i = 0; i < count; ++i) {
        if (co_await f.a.async_send(net::buffer(f.out), f.one, net::use_awaitable) != 8)
            ++errors;
        if (co_await f.a.async_receive(net::buffer(f.out), f.received, net::use_awaitable) != 8)
            ++errors;
        co_await f.c.async_send(net::buffer(f.out), f.one, net::use_awaitable);
    }
}
net::awaitable<void> stream_server(Fixture& f, int count, int& errors) {
    std::vector<OwnedHandle> got;
    got.reserve(4);
    for (int i = 0; i < count; ++i) {
        if (co_await f.b.async_receive(net::buffer(f.in), got, net::use_awaitable) != 8 || got.size() != 1)
            ++errors;
        got.clear();
        co_await net::async_write(f.b, net::buffer(f.in), net::use_awaitable);
        const ReceiveResult r = co_await f.d.async_receive(net::buffer(f.in), got, net::use_awaitable);
        if (r.bytes != 8 || got.size() != 1)
            ++errors;
        got.clear();
    }
}

} // namespace

TEST_SUITE("async") {

TEST_CASE("async allocations: the counter sees allocations made through Asio") {
    const AllocationWindow window;
    net::io_context context;
    CHECK(window.count() > 0);
}

TEST_CASE("async allocations: none per message in steady state, callbacks") {
    const testing::HandleLeakCheck leaks;
    Fixture f;
    CallbackRound round{f};
    round(); // warm up: Asio's per-thread recycling cache fills here
    round();
    {
        const AllocationWindow window;
        for (int i = 0; i < rounds; ++i)
            round();
        CHECK(window.count() == 0);
    }
    CHECK(round.errors == 0);
}

TEST_CASE("async allocations: none per message in steady state, coroutines") {
    const testing::HandleLeakCheck leaks;
    Fixture f;
    int errors = 0;
    // One coroutine pair runs warm-up rounds and then the measured ones;
    // the window opens between them (a timer hands control back).
    bool warm = false, done = false;
    net::steady_timer gate(f.context, net::steady_timer::time_point::max());
    std::size_t counted = 0;
    const auto rethrow = [](std::exception_ptr e) {
        if (e)
            std::rethrow_exception(e);
    };
    net::co_spawn(f.context,
                  [&]() -> net::awaitable<void> {
                      co_await stream_client(f, 2, errors);
                      warm = true;
                      net_error_code ignored;
                      co_await gate.async_wait(net::redirect_error(net::use_awaitable, ignored));
                      co_await stream_client(f, rounds, errors);
                  },
                  rethrow);
    net::co_spawn(f.context,
                  [&]() -> net::awaitable<void> {
                      co_await stream_server(f, 2 + rounds, errors);
                      done = true;
                  },
                  rethrow);
    REQUIRE(testing::run_until(f.context, [&] { return warm; }));
    // The server is waiting for the next message; let it settle there.
    testing::run_for(f.context, std::chrono::milliseconds(5));
    {
        const AllocationWindow window;
        gate.cancel();
        REQUIRE(testing::run_until(f.context, [&] { return done; }));
        counted = window.count();
    }
    CHECK(counted == 0);
    CHECK(errors == 0);
}

TEST_CASE("async allocations: none per message in steady state, handlers with an immediate executor") {
    const testing::HandleLeakCheck leaks;
    Fixture f;
    // Ping-pong of 8 bytes and the handle between the stream ends, every
    // handler bound to the io_context's executor (any_io_executor, as a
    // server's would be): completions that need no wait run at once.
    const net::any_io_executor immediate = f.context.get_executor();
    int remaining = 0, errors = 0;
    std::function<void()> exchange = [&] {
        f.a.async_send(net::buffer(f.out), f.one,
                       bind_immediate_executor(immediate, [&](net_error_code ec, std::size_t n) {
                           if (ec || n != 8)
                               ++errors;
                       }));
        f.b.async_receive(
            net::buffer(f.in), f.received, bind_immediate_executor(immediate, [&](net_error_code ec, std::size_t n) {
                if (ec || n != 8 || f.received.size() != 1)
                    ++errors;
                f.received.clear();
                net::async_write(f.b, net::buffer(f.in),
                                 bind_immediate_executor(immediate, [&](net_error_code ec, std::size_t) {
                                     if (ec)
                                         ++errors;
                                     f.a.async_read_some(net::buffer(f.out),
                                                         bind_immediate_executor(immediate, [&](net_error_code ec,
                                                                                                std::size_t n) {
                                                             if (ec || n != 8)
                                                                 ++errors;
                                                             if (--remaining > 0)
                                                                 exchange();
                                                         }));
                                 }));
            }));
    };
    const auto run_rounds = [&](int count) {
        remaining = count;
        net::post(f.context, [&exchange] { exchange(); }); // not a copy of the std::function
        f.run(remaining);
    };
    run_rounds(3); // warm up
    {
        const AllocationWindow window;
        run_rounds(rounds);
        CHECK(window.count() == 0);
    }
    CHECK(errors == 0);
}

} // TEST_SUITE
