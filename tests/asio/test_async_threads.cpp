// Async tests (suite async-threads, also run under ThreadSanitizer): one
// io_context run by two threads, 64 connections each on strands of their
// own, echoing messages with handles concurrently; and handlers with an
// immediate executor (localsock/asio/immediate.hpp) on such an io_context.
#include "async_support.hpp"

#include "../support/resources.hpp"
#include "../support/thread.hpp"

#include <localsock/asio.hpp>
#include <localsock/localsock.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

using namespace localsock;

namespace {

using Strand = net::strand<net::io_context::executor_type>;
constexpr int connections = 64;
constexpr int rounds = 20;

// Echoes each message with its handles until the peer closes.
net::awaitable<void> echo(AsyncStream<Strand> stream, std::atomic<int>& errors) {
    std::vector<OwnedHandle> handles;
    std::array<char, 8> message{};
    for (;;) {
        handles.clear();
        auto [ec, n] = co_await stream.async_receive(net::buffer(message), handles,
                                                     testing::as_tuple(net::use_awaitable));
        if (ec == net::error::eof)
            co_return;
        if (ec || n == 0 || handles.size() != 1) {
            ++errors;
            co_return;
        }
        auto [send_ec, sent] = co_await stream.async_send(net::buffer(message.data(), n),
                                                          std::span<const OwnedHandle>(handles),
                                                          testing::as_tuple(net::use_awaitable));
        if (send_ec || sent != n)
            ++errors;
    }
}

// Sends `rounds` 8-byte messages, each with a fresh pipe's write end; the
// echo brings the handle back; writing into it must reach this pipe, and
// every copy of that write end must be closed in the end. That is checked
// a round late: the echo server drops its copy after its send completed,
// which may run after this echo arrived, and waiting for it here would
// block an io_context thread on a handler that needs one (with both threads
// doing so, nothing runs again). Once the next echo came back the server
// has dropped it. The last round's read end is left in `last_read_end`,
// checked after run() returned.
net::awaitable<void> client(AsyncStream<Strand> stream, std::uint32_t id, std::atomic<int>& errors,
                            std::atomic<int>& finished, OwnedHandle& last_read_end) {
    std::vector<OwnedHandle> returned;
    OwnedHandle previous_read_end;
    for (int round = 0; round < rounds; ++round) {
        auto [pipe_read, pipe_write] = testing::make_pipe();
        const std::array<std::uint32_t, 2> out{id, static_cast<std::uint32_t>(round)};
        const std::array<BorrowedHandle, 1> lent{pipe_write.borrow()};
        co_await stream.async_send(net::buffer(out), std::span<const BorrowedHandle>(lent), net::use_awaitable);
        pipe_write.reset();
        std::array<std::uint32_t, 2> in{};
        std::size_t got = 0;
        returned.clear();
        while (got < sizeof in)
            got += co_await stream.async_receive(
                net::buffer(reinterpret_cast<char*>(in.data()) + got, sizeof in - got), returned,
                net::use_awaitable);
        if (in != out || returned.size() != 1) {
            ++errors;
            co_return;
        }
        testing::write_handle(returned[0], "e");
        returned.clear();
        if (testing::read_handle(pipe_read, 1) != "e" ||
            (previous_read_end && !testing::pipe_at_end(previous_read_end))) {
            ++errors;
            co_return;
        }
        previous_read_end = std::move(pipe_read);
    }
    last_read_end = std::move(previous_read_end);
    ++finished;
}

} // namespace

TEST_SUITE("async-threads") {

TEST_CASE("async threads: an io_context run by two threads, 64 connections on their own strands") {
    const testing::HandleLeakCheck leaks;
    net::io_context context(2);
    std::atomic<int> errors{0}, finished{0};
    std::array<OwnedHandle, connections> last_read_ends;
    {
        const auto rethrow = [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        };
        for (int i = 0; i < connections; ++i) {
            auto [a, b] = LocalStream::pair();
            AsyncStream<Strand> server(net::make_strand(context), std::move(a));
            AsyncStream<Strand> client_end(net::make_strand(context), std::move(b));
            const Strand server_strand = server.get_executor();
            const Strand client_strand = client_end.get_executor();
            net::co_spawn(server_strand, echo(std::move(server), errors), rethrow);
            net::co_spawn(client_strand, client(std::move(client_end), static_cast<std::uint32_t>(i), errors, finished,
                                                last_read_ends[static_cast<std::size_t>(i)]),
                          rethrow);
        }
    }
    {
        testing::Thread second([&] { context.run(); });
        context.run();
        second.join();
    }
    CHECK(errors == 0);
    CHECK(finished == connections);
    for (const OwnedHandle& read_end : last_read_ends)
        CHECK(testing::pipe_at_end(read_end));
}

TEST_CASE("async threads: an echo whose handlers have an immediate executor, on an io_context run by two threads") {
    const testing::HandleLeakCheck leaks;
    net::io_context context(2);
    auto [a, b] = LocalStream::pair();
    AsyncStream<> server(context, std::move(a));
    LocalStream client = std::move(b);
    client.set_read_timeout(std::chrono::duration_cast<std::chrono::milliseconds>(testing::patience));
    const auto ex = context.get_executor();
    std::array<char, 64> buffer{};
    std::function<void()> echo = [&] {
        server.async_read_some(net::buffer(buffer), bind_immediate_executor(ex, [&](net_error_code ec, std::size_t n) {
                                   if (ec)
                                       return; // eof: the client is done
                                   net::async_write(server, net::buffer(buffer, n),
                                                    bind_immediate_executor(ex, [&](net_error_code ec, std::size_t) {
                                                        REQUIRE_FALSE(ec);
                                                        echo();
                                                    }));
                               }));
    };
    net::post(context, echo);
    testing::Thread runner1([&] { context.run(); });
    testing::Thread runner2([&] { context.run(); });
    std::array<char, 64> reply{};
    for (int i = 0; i < 2000; ++i) {
        const std::string message = "round " + std::to_string(i);
        client.write_all(message);
        client.read_exact(MutableBuffer(reply.data(), message.size())); // timed: a stall fails here
        REQUIRE(std::string(reply.data(), message.size()) == message);
    }
    client.close();
    runner1.join();
    runner2.join();
}

} // TEST_SUITE
