// Async tests: what the peer does wrong — dying in the middle of a message,
// sending more than fits (data truncation) or more handles than accepted.
#include "async_support.hpp"

#include "../support/process.hpp"
#include "../support/resources.hpp"

#include <localsock/asio.hpp>
#include <localsock/localsock.hpp>

#include <array>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

using namespace localsock;
using testing::TokenKind;

namespace {

std::vector<OwnedHandle> numbered_files(std::size_t count) {
    std::vector<OwnedHandle> files;
    for (std::size_t i = 0; i < count; ++i)
        files.push_back(testing::file_with("handle " + std::to_string(i)));
    return files;
}

} // namespace

// Child: connect to args[1] (a stream or seqpacket listener, per args[0])
// and send the first 14 bytes of a 104-byte frame with 3 files, then die.
CHILD_ROLE(async_send_half_and_die) {
    const LocalSocketName name = LocalSocketName::parse(args.at(1));
    const std::vector<OwnedHandle> files = numbered_files(3);
    const std::uint32_t length = 100;
    std::array<char, 14> partial{};
    std::memcpy(partial.data(), &length, sizeof length);
    std::memcpy(partial.data() + 4, "0123456789", 10);
    if (args.at(0) == "stream") {
        LocalStream stream = LocalStream::connect(name);
        CHILD_REQUIRE(stream.send(buffer(partial), files) == partial.size());
    } else {
        LocalSeqpacket socket = LocalSeqpacket::connect(name);
        socket.send(buffer(partial), files);
    }
    testing::die_abruptly();
}

TEST_SUITE("async") {

TEST_CASE("async peer death: a stream peer dies mid-frame — bytes and handles, then eof") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    const LocalSocketName name = testing::unique_namespaced_name("async-death");
    AsyncListener<> listener(context, LocalListener::bind(name));
    auto child = testing::ChildProcess::spawn("async_send_half_and_die", {"stream", name.to_string()});
    auto accepted = testing::complete_with<AsyncStream<>, TokenKind::callback>(
        context, [&](auto token) { return listener.async_accept(token); });
    REQUIRE_FALSE(accepted.ec);
    AsyncStream<>& stream = *accepted.value;
    CHECK(child.wait() == testing::abrupt_exit_status);

    std::array<char, 104> frame{};
    std::vector<OwnedHandle> handles;
    std::size_t total = 0;
    net_error_code end;
    testing::run_coroutine(context, [&]() -> net::awaitable<void> {
        for (;;) {
            auto [ec, n] = co_await stream.async_receive(net::buffer(frame.data() + total, frame.size() - total),
                                                         handles, testing::as_tuple(net::use_awaitable));
            total += n;
            if (ec) {
                end = ec;
                co_return;
            }
            if (n == 0) // must not happen: the end is an error, not a silent 0
                co_return;
        }
    });
    CHECK(end == net::error::eof);
    CHECK(total == 14);
    CHECK(std::string(frame.data() + 4, 10) == "0123456789");
    REQUIRE(handles.size() == 3);
    for (std::size_t i = 0; i < handles.size(); ++i)
        CHECK(testing::read_whole_file(handles[i]) == "handle " + std::to_string(i));

    // Composed reads see the same end: net::async_read of the whole frame
    // fails with eof after what was there.
    std::array<char, 8> more{};
    auto read = testing::complete_with<std::size_t, TokenKind::future>(context, [&](auto token) {
        return net::async_read(stream, net::buffer(more), token);
    });
    CHECK(read.ec == net::error::eof);
}

TEST_CASE("async peer close: bytes and the end already reported ready, then a short read — the next read sees eof") {
    // Why a short read is not taken for an empty socket (docs/design.md):
    // the peer wrote and closed, the reactor reported the descriptor ready
    // while no read was pending, then a read took the bytes, fewer than
    // asked. No readiness edge will come again: a read that waited for one
    // instead of trying would wait for ever.
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    auto [a, b] = LocalStream::pair();
    b.write_all("last words");
    b.close();
    AsyncStream<> reader(context, std::move(a));
    testing::run_for(context, std::chrono::milliseconds(10)); // the readiness is reported, nothing waits for it
    std::array<char, 64> in{};
    const auto read = [&](auto kind) {
        return testing::complete_with<std::size_t, decltype(kind)::value>(
            context, [&](auto token) { return reader.async_read_some(net::buffer(in), token); });
    };
    // A callback first (the bytes, then eof), then a coroutine (eof again).
    const auto first = read(std::integral_constant<TokenKind, TokenKind::callback>{});
    CHECK_FALSE(first.ec);
    CHECK(first.value == std::size_t(10));
    CHECK(std::string(in.data(), 10) == "last words");
    CHECK(read(std::integral_constant<TokenKind, TokenKind::callback>{}).ec == net::error::eof);
    CHECK(read(std::integral_constant<TokenKind, TokenKind::awaitable>{}).ec == net::error::eof);
}

TEST_CASE("async peer death: a seqpacket peer dies after a message — the message, then end_of_stream") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    const LocalSocketName name = testing::unique_namespaced_name("async-death-seq");
    AsyncSeqpacketListener<> listener(context, LocalSeqpacketListener::bind(name));
    auto child = testing::ChildProcess::spawn("async_send_half_and_die", {"seqpacket", name.to_string()});
    auto accepted = testing::complete_with<AsyncSeqpacket<>, TokenKind::callback>(
        context, [&](auto token) { return listener.async_accept(token); });
    REQUIRE_FALSE(accepted.ec);
    AsyncSeqpacket<>& socket = *accepted.value;
    CHECK(child.wait() == testing::abrupt_exit_status);

    std::array<char, 104> frame{};
    std::vector<OwnedHandle> handles;
    auto first = testing::complete_with<ReceiveResult, TokenKind::callback>(context, [&](auto token) {
        return socket.async_receive(net::buffer(frame), handles, token);
    });
    CHECK_FALSE(first.ec);
    CHECK(first.value->bytes == 14);
    REQUIRE(handles.size() == 3);
    CHECK(testing::read_whole_file(handles[2]) == "handle 2");
    handles.clear();
    auto second = testing::complete_with<ReceiveResult, TokenKind::callback>(context, [&](auto token) {
        return socket.async_receive(net::buffer(frame), handles, token);
    });
    CHECK(testing::std_error(second.ec) == errc::end_of_stream);
    CHECK(second.value->bytes == 0);
    CHECK(handles.empty());
}

TEST_CASE("async truncation: a seqpacket message longer than the buffer reports its real size") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    auto [a, b] = LocalSeqpacket::pair();
    AsyncSeqpacket<> async(context, std::move(a));
    const std::string message(100, 'm');
    OwnedHandle file = testing::file_with("with a truncated message");
    b.send(buffer(message), {file.borrow()});
    b.send("next");
    file.reset();

    std::array<char, 10> small{};
    std::vector<OwnedHandle> handles;
    auto got = testing::complete_with<ReceiveResult, TokenKind::as_tuple>(context, [&](auto token) {
        return async.async_receive(net::buffer(small), handles, token);
    });
    CHECK_FALSE(got.ec);
    CHECK(got.value->bytes == 10);
    CHECK(got.value->message_size == 100);
    CHECK(got.value->data_truncated);
    REQUIRE(handles.size() == 1); // the handles came whole
    CHECK(testing::read_whole_file(handles[0]) == "with a truncated message");
    handles.clear();
    auto next = testing::complete_with<ReceiveResult, TokenKind::as_tuple>(context, [&](auto token) {
        return async.async_receive(net::buffer(small), handles, token);
    });
    CHECK_FALSE(next.ec);
    CHECK(next.value->bytes == 4); // the rest of the long message is gone
    CHECK(std::string(small.data(), 4) == "next");
}

TEST_CASE("async truncation: more handles than accepted — bytes delivered, every handle closed") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    // Pipe write ends: once the receiver closed what arrived and the sender
    // closed its own, each pipe reads as ended.
    std::vector<OwnedHandle> readers, writers;
    for (int i = 0; i < 5; ++i) {
        auto [r, w] = testing::make_pipe();
        readers.push_back(std::move(r));
        writers.push_back(std::move(w));
    }
    std::vector<OwnedHandle> handles;
    std::array<char, 8> in{};

    SUBCASE("stream") {
        auto [a, b] = LocalStream::pair();
        AsyncStream<> async(context, std::move(a));
        async.sync().set_max_handles_per_receive(2);
        CHECK(b.send("five", writers) == 4);
        writers.clear();
        auto got = testing::complete_with<std::size_t, TokenKind::awaitable>(context, [&](auto token) {
            return async.async_receive(net::buffer(in), handles, token);
        });
        CHECK(testing::std_error(got.ec) == errc::handles_truncated);
        // The throwing token loses the count; the callback keeps it.
        CHECK(b.send("more", {readers[0].borrow()}) == 4);
        async.sync().set_max_handles_per_receive(0);
        auto counted = testing::complete_with<std::size_t, TokenKind::callback>(context, [&](auto token) {
            return async.async_receive(net::buffer(in), handles, token);
        });
        CHECK(testing::std_error(counted.ec) == errc::handles_truncated);
        CHECK(*counted.value == 4);
        CHECK(std::string(in.data(), 4) == "more");
        CHECK(handles.empty());
        // The stream stays usable.
        b.write_all("ok");
        auto ok = testing::complete_with<std::size_t, TokenKind::callback>(context, [&](auto token) {
            return async.async_receive(net::buffer(in), handles, token);
        });
        CHECK_FALSE(ok.ec);
        CHECK(*ok.value == 2);
    }
    SUBCASE("seqpacket") {
        auto [a, b] = LocalSeqpacket::pair();
        AsyncSeqpacket<> async(context, std::move(a));
        async.sync().set_max_handles_per_receive(2);
        b.send("five", writers);
        writers.clear();
        auto got = testing::complete_with<ReceiveResult, TokenKind::callback>(context, [&](auto token) {
            return async.async_receive(net::buffer(in), handles, token);
        });
        CHECK(testing::std_error(got.ec) == errc::handles_truncated);
        CHECK(got.value->bytes == 4);
        CHECK(got.value->control_truncated);
        CHECK(std::string(in.data(), 4) == "five");
        CHECK(handles.empty());
    }
    CHECK(writers.empty());
    for (const OwnedHandle& r : readers)
        CHECK(testing::pipe_at_end(r)); // no copy of a write end survived anywhere
}

} // TEST_SUITE
