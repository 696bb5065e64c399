// Async tests: immediate completion (localsock/asio/immediate.hpp). A handler
// bound to an immediate executor runs inside the initiating call when the
// operation needed no wait (the backend that waits inside Asio's reactor);
// any other handler never does; composed operations pass the binding on;
// nesting is bounded. (Two threads running the io_context with bound
// handlers: test_async_threads.cpp.)
#include "async_support.hpp"

#include "../support/resources.hpp"

#include <localsock/asio.hpp>
#include <localsock/localsock.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <string>
#include <vector>

using namespace localsock;
using namespace std::chrono_literals;

namespace {

#if defined(LOCALSOCK_ASIO_SPECULATIVE_WAIT)
constexpr bool immediate_honoured = true;
#else
constexpr bool immediate_honoured = false; // the portable wait posts every completion
#endif

// Runs `start` from a handler of `context` (an io_context runs a handler
// inline only from a thread inside run()), then runs the context until
// `done`. Returns whether `done` already held when `start` returned.
template <class Start, class Done>
bool start_inside(net::io_context& context, Start start, Done done) {
    bool completed_inside = false;
    net::post(context, [&] {
        start();
        completed_inside = done();
    });
    REQUIRE(testing::run_until(context, done));
    return completed_inside;
}

struct Ends {
    net::io_context context{1};
    AsyncStream<> left{context}, right{context};
    Ends() {
        auto [a, b] = LocalStream::pair();
        left.assign(std::move(a));
        right.assign(std::move(b));
    }
};

} // namespace

TEST_SUITE("async") {

TEST_CASE("async immediate: a read of queued bytes completes inside the call only for a bound handler") {
    const testing::HandleLeakCheck leaks;
    Ends ends;
    ends.left.sync().write_all("ping, ping");
    std::array<char, 4> in{}, more{};
    std::size_t first = 0, second = 0;
    // Unbound: through the scheduler, never inside the call.
    CHECK_FALSE(start_inside(
        ends.context,
        [&] {
            ends.right.async_read_some(net::buffer(in), [&](net_error_code ec, std::size_t n) {
                CHECK_FALSE(ec);
                first = n;
            });
        },
        [&] { return first != 0; }));
    // Bound to the io_context's executor, from inside run(): at once.
    CHECK(start_inside(
              ends.context,
              [&] {
                  ends.right.async_read_some(
                      net::buffer(more), bind_immediate_executor(ends.context.get_executor(),
                                                               [&](net_error_code ec, std::size_t n) {
                                                                   CHECK_FALSE(ec);
                                                                   second = n;
                                                               }));
              },
              [&] { return second != 0; }) == immediate_honoured);
    CHECK(first == 4);
    CHECK(second == 4);
    CHECK(std::string(in.data(), 4) == "ping");
    CHECK(std::string(more.data(), 4) == ", pi");
}

TEST_CASE("async immediate: net::async_write passes the binding on, handles and all") {
    const testing::HandleLeakCheck leaks;
    Ends ends;
    OwnedHandle file = testing::file_with("sent inline");
    const std::array<BorrowedHandle, 1> lent{file.borrow()};
    const auto ex = ends.context.get_executor();
    std::size_t written = 0, sent = 0;
    CHECK(start_inside(
              ends.context,
              [&] {
                  net::async_write(ends.left, net::buffer("header", 6),
                                   bind_immediate_executor(ex, [&](net_error_code ec, std::size_t n) {
                                       CHECK_FALSE(ec);
                                       written = n;
                                   }));
              },
              [&] { return written != 0; }) == immediate_honoured);
    CHECK(start_inside(
              ends.context,
              [&] {
                  ends.left.async_send(net::buffer("body", 4), std::span<const BorrowedHandle>(lent),
                                       bind_immediate_executor(ex, [&](net_error_code ec, std::size_t n) {
                                           CHECK_FALSE(ec);
                                           sent = n;
                                       }));
              },
              [&] { return sent != 0; }) == immediate_honoured);
    CHECK(written == 6);
    CHECK(sent == 4);
    // Both went out once, in order, the handle with the body.
    std::array<char, 10> in{};
    std::vector<OwnedHandle> handles;
    std::size_t got = 0;
    while (got < in.size())
        got += ends.right.sync().receive(MutableBuffer(in.data() + got, in.size() - got), handles);
    CHECK(std::string(in.data(), in.size()) == "headerbody");
    REQUIRE(handles.size() == 1);
    CHECK(testing::read_whole_file(handles[0]) == "sent inline");
}

TEST_CASE("async immediate: an operation that has to wait completes through the scheduler") {
    const testing::HandleLeakCheck leaks;
    Ends ends;
    std::array<char, 8> in{};
    std::size_t got = 0;
    bool inside = true;
    net::post(ends.context, [&] {
        ends.right.async_read_some(net::buffer(in),
                                   bind_immediate_executor(ends.context.get_executor(),
                                                           [&](net_error_code ec, std::size_t n) {
                                                               CHECK_FALSE(ec);
                                                               CHECK_FALSE(inside);
                                                               got = n;
                                                           }));
        inside = false;
    });
    testing::run_for(ends.context, 20ms);
    CHECK(got == 0);
    ends.left.sync().write_all("late");
    REQUIRE(testing::run_until(ends.context, [&] { return got != 0; }));
    CHECK(got == 4);
}

TEST_CASE("async immediate: nested immediate completions stay within max_immediate_depth, none lost") {
    const testing::HandleLeakCheck leaks;
    Ends ends;
    const std::string sent(500, 'x');
    ends.left.sync().write_all(sent); // all queued: every one-byte read can complete at once
    std::array<char, 1> in{};
    std::size_t total = 0;
    unsigned live = 0, deepest = 0;
    std::function<void()> read_one = [&] {
        ends.right.async_read_some(net::buffer(in), bind_immediate_executor(ends.context.get_executor(),
                                                                            [&](net_error_code ec, std::size_t n) {
                                                                                REQUIRE_FALSE(ec);
                                                                                ++live;
                                                                                deepest = std::max(deepest, live);
                                                                                total += n;
                                                                                if (total < sent.size())
                                                                                    read_one();
                                                                                --live;
                                                                            }));
    };
    net::post(ends.context, read_one);
    REQUIRE(testing::run_until(ends.context, [&] { return total == sent.size(); }));
    CHECK(deepest <= max_immediate_depth + 1);
    if (immediate_honoured)
        CHECK(deepest > 1);
    else
        CHECK(deepest == 1);
}

} // TEST_SUITE
