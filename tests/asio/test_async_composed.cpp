// Async tests: Asio's composed operations over AsyncStream (it models
// AsyncReadStream and AsyncWriteStream): net::async_write, async_read and
// async_read_until, across threads, with buffer sequences and large data.
#include "async_support.hpp"

#include "../support/resources.hpp"
#include "../support/thread.hpp"

#include <localsock/asio.hpp>
#include <localsock/localsock.hpp>

#include <array>
#include <numeric>
#include <string>
#include <vector>

using namespace localsock;

TEST_SUITE("async") {

TEST_CASE("async composed: async_write and async_read move 1 MiB through buffer sequences") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    auto [a, b] = LocalStream::pair();
    AsyncStream<> left(context, std::move(a));
    AsyncStream<> right(context, std::move(b));
    std::vector<unsigned char> out(1 << 20);
    std::iota(out.begin(), out.end(), static_cast<unsigned char>(0));
    std::vector<unsigned char> in(out.size());
    const std::array<net::const_buffer, 2> parts{net::buffer(out.data(), 1000),
                                                 net::buffer(out.data() + 1000, out.size() - 1000)};
    const std::array<net::mutable_buffer, 3> into{net::buffer(in.data(), 7), net::buffer(in.data() + 7, 70000),
                                                  net::buffer(in.data() + 70007, in.size() - 70007)};
    std::size_t written = 0, read = 0;
    net_error_code write_ec, read_ec;
    testing::run_coroutine(context, [&]() -> net::awaitable<void> {
        net::co_spawn(
            co_await net::this_coro::executor,
            [&]() -> net::awaitable<void> {
                std::tie(write_ec, written) =
                    co_await net::async_write(left, parts, testing::as_tuple(net::use_awaitable));
            },
            net::detached);
        std::tie(read_ec, read) = co_await net::async_read(right, into, testing::as_tuple(net::use_awaitable));
    });
    CHECK_FALSE(write_ec);
    CHECK_FALSE(read_ec);
    CHECK(written == out.size());
    CHECK(read == in.size());
    CHECK(in == out);
}

TEST_CASE("async composed: async_read_until line by line from a writer in another thread") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    auto [a, b] = LocalStream::pair();
    AsyncStream<> reader(context, std::move(a));
    LocalStream peer = std::move(b);
    testing::Thread writer([&peer] {
        for (int i = 0; i < 100; ++i)
            peer.write_all("line " + std::to_string(i) + "\n");
        peer.close(); // the reader sees eof after the last line
    });
    std::string data;
    std::vector<std::string> lines;
    net_error_code end;
    testing::run_coroutine(context, [&]() -> net::awaitable<void> {
        for (;;) {
            auto [ec, n] = co_await net::async_read_until(reader, net::dynamic_buffer(data), '\n',
                                                          testing::as_tuple(net::use_awaitable));
            if (ec) {
                end = ec;
                co_return;
            }
            lines.push_back(data.substr(0, n - 1));
            data.erase(0, n);
        }
    });
    writer.join();
    CHECK(end == net::error::eof);
    REQUIRE(lines.size() == 100);
    for (int i = 0; i < 100; ++i)
        CHECK(lines[static_cast<std::size_t>(i)] == "line " + std::to_string(i));
    CHECK(data.empty());
}

TEST_CASE("async composed: async_write then handles on the same stream keep their order") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    auto [a, b] = LocalStream::pair();
    AsyncStream<> left(context, std::move(a));
    AsyncStream<> right(context, std::move(b));
    OwnedHandle file = testing::file_with("after the header");
    const std::array<OwnedHandle, 1> handles{std::move(file)};
    std::array<char, 6> header{}, body{};
    std::vector<OwnedHandle> received;
    testing::run_coroutine(context, [&]() -> net::awaitable<void> {
        co_await net::async_write(left, net::buffer("header", 6), net::use_awaitable);
        co_await left.async_send(net::buffer("body!!", 6), std::span<const OwnedHandle>(handles),
                                 net::use_awaitable);
        co_await net::async_read(right, net::buffer(header), net::use_awaitable);
        std::size_t got = 0;
        while (got < body.size())
            got += co_await right.async_receive(net::buffer(body.data() + got, body.size() - got), received,
                                                net::use_awaitable);
    });
    CHECK(std::string(header.data(), 6) == "header");
    CHECK(std::string(body.data(), 6) == "body!!");
    REQUIRE(received.size() == 1);
    CHECK(testing::read_whole_file(received[0]) == "after the header");
}

} // TEST_SUITE
