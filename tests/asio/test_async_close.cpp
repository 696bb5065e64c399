// Async tests: closing or destroying objects with operations pending —
// accept, receive, a send blocked on a full socket, a connect waiting on a
// full backlog. Every operation ends with operation_aborted, no descriptor
// is left behind, and the listener's socket file is gone.
#include "async_support.hpp"

#include "../support/resources.hpp"

#include <localsock/asio.hpp>
#include <localsock/localsock.hpp>

#include <array>
#include <memory>
#include <optional>
#include <vector>

using namespace localsock;
using namespace std::chrono_literals;

namespace {

// Fills `listener`'s backlog with connections nobody accepts; returns them.
std::vector<LocalStream> fill_backlog(const LocalSocketName& name) {
    std::vector<LocalStream> pending;
    ConnectOptions options;
    options.nonblocking = true;
    for (int i = 0; i < 64; ++i) {
        std::error_code ec;
        LocalStream s = LocalStream::connect(name, options, ec);
        if (ec) {
            REQUIRE(ec == std::errc::operation_would_block);
            return pending;
        }
        pending.push_back(std::move(s));
    }
    FAIL("the backlog never filled");
    return pending;
}

struct Completion {
    std::optional<net_error_code> ec;
    auto handler() {
        return [this](net_error_code e, auto&&...) { ec = e; };
    }
};

} // namespace

TEST_SUITE("async") {

TEST_CASE("async close: pending accept, receive, send and connect end with operation_aborted") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("async-close");
    const LocalSocketName busy_name = testing::unique_namespaced_name("async-close-busy");
    net::io_context context;

    auto listener = std::make_unique<AsyncListener<>>(context, LocalListener::bind(name));
    LocalStream client = LocalStream::connect(name); // accepted below, then read from
    auto reader = std::make_unique<AsyncStream<>>(context);
    auto writer = std::make_unique<AsyncStream<>>(context);
    auto [writer_end, silent_peer] = LocalStream::pair(); // the peer never reads
    writer->assign(std::move(writer_end));
    Completion accepted_first;
    std::optional<AsyncStream<>> first;
    listener->async_accept([&](net_error_code ec, AsyncStream<> s) {
        accepted_first.ec = ec;
        first.emplace(std::move(s));
    });
    REQUIRE(testing::run_until(context, [&] { return accepted_first.ec.has_value(); }));
    REQUIRE_FALSE(*accepted_first.ec);
    *reader = std::move(*first);
    first.reset();

    // The busy listener: backlog 1, full, nobody accepting.
    ListenerOptions busy_options;
    busy_options.backlog = 1;
    LocalListener busy = LocalListener::bind(busy_name, busy_options);
    std::vector<LocalStream> queued = fill_backlog(busy_name);
    auto connector = std::make_unique<AsyncStream<>>(context);

    Completion accept, receive, send, connect;
    std::vector<OwnedHandle> handles;
    std::array<char, 16> in{};
    const std::vector<char> big(2 << 20, 'b');
    OwnedHandle file = testing::file_with("sent with a blocked send");
    const std::array<BorrowedHandle, 1> lent{file.borrow()};
    listener->async_accept(accept.handler());
    reader->async_receive(net::buffer(in), handles, receive.handler());
    writer->async_send(net::buffer(big), std::span<const BorrowedHandle>(lent), send.handler());
    connector->async_connect(busy_name, connect.handler());
    testing::run_for(context, 30ms);
    CHECK_FALSE(accept.ec.has_value());
    CHECK_FALSE(receive.ec.has_value());
    CHECK_FALSE(send.ec.has_value());
    CHECK_FALSE(connect.ec.has_value());

    SUBCASE("close()") {
        listener->close();
        reader->close();
        writer->close();
        connector->close();
        CHECK_FALSE(listener->is_open());
    }
    SUBCASE("destruction") {
        listener.reset();
        reader.reset();
        writer.reset();
        connector.reset();
    }
    REQUIRE(testing::run_until(context, [&] {
        return accept.ec.has_value() && receive.ec.has_value() && send.ec.has_value() && connect.ec.has_value();
    }));
    CHECK(testing::aborted(*accept.ec));
    CHECK(testing::aborted(*receive.ec));
    CHECK(testing::aborted(*send.ec));
    CHECK(testing::aborted(*connect.ec));
    CHECK(handles.empty());
    // Nothing runs after the objects are gone, and nothing is still pending.
    context.restart();
    CHECK(context.poll() == 0);
}

TEST_CASE("async close: closing with an operation pending leaves the object reusable") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    AsyncSeqpacket<> socket(context);
    {
        auto [a, b] = LocalSeqpacket::pair();
        socket.assign(std::move(a));
        Completion receive;
        std::array<char, 8> in{};
        socket.async_receive(net::buffer(in), receive.handler());
        testing::run_for(context, 10ms);
        socket.close();
        REQUIRE(testing::run_until(context, [&] { return receive.ec.has_value(); }));
        CHECK(testing::aborted(*receive.ec));
    }
    auto [a, b] = LocalSeqpacket::pair();
    socket.assign(std::move(a));
    b.send("again");
    std::array<char, 8> in{};
    auto got = testing::complete_with<ReceiveResult, testing::TokenKind::callback>(context, [&](auto token) {
        return socket.async_receive(net::buffer(in), token);
    });
    CHECK_FALSE(got.ec);
    CHECK(got.value->bytes == 5);
}

} // TEST_SUITE
