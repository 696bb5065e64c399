// Async tests: cancelling operations while handles are in flight. A receive
// cancelled while waiting has taken nothing (the next one gets the bytes and
// the handles); a send cancelled after moving bytes reports them, and its
// handles went exactly once.
#include "async_support.hpp"

#include "../support/resources.hpp"

#include <localsock/asio.hpp>
#include <localsock/localsock.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

using namespace localsock;
using namespace std::chrono_literals;

namespace {

// A stream pair: one end async, the other sync (blocking) for the test to
// drive.
struct AsyncAndSync {
    AsyncStream<> async;
    LocalStream sync;
};
AsyncAndSync stream_pair(net::io_context& context) {
    auto [a, b] = LocalStream::pair();
    return {AsyncStream<>(context, std::move(a)), std::move(b)};
}

// How a test cancels a pending operation.
enum class Canceller { slot_total, slot_partial, cancel_member };

// A receive waits; then bytes and a pipe's write end arrive (in flight: in
// the kernel's queue, not yet read); the receive is cancelled before the
// loop runs again. It must complete with operation_aborted having taken
// nothing, and the next receive must get the bytes and the handle.
void cancel_receive_with_handles_in_flight(Canceller how) {
    net::io_context context;
    auto [async, peer] = stream_pair(context);

    std::array<char, 8> in{};
    std::vector<OwnedHandle> handles;
    net::cancellation_signal signal;
    std::optional<net_error_code> first;
    std::size_t first_bytes = 99;
    async.async_receive(net::buffer(in), handles,
                        net::bind_cancellation_slot(signal.slot(), [&](net_error_code ec, std::size_t n) {
                            first = ec;
                            first_bytes = n;
                        }));
    testing::run_for(context, 20ms);
    REQUIRE_FALSE(first.has_value()); // waiting: nothing to read yet

    auto [pipe_read, pipe_write] = testing::make_pipe();
    CHECK(peer.send("in flight", {pipe_write.borrow()}) == 9);
    pipe_write.reset();
    if (how == Canceller::cancel_member)
        async.cancel();
    else
        signal.emit(how == Canceller::slot_total ? net::cancellation_type::total : net::cancellation_type::partial);
    REQUIRE(testing::run_until(context, [&] { return first.has_value(); }));
    CHECK(testing::aborted(*first));
    CHECK(first_bytes == 0);
    CHECK(handles.empty());

    // Nothing lost: the same object receives the bytes and the handle.
    auto next = testing::complete_with<std::size_t, testing::TokenKind::callback>(context, [&](auto token) {
        return async.async_receive(net::buffer(in), handles, token);
    });
    CHECK_FALSE(next.ec);
    CHECK(*next.value == 8);
    CHECK(std::string(in.data(), 8) == "in fligh");
    REQUIRE(handles.size() == 1);
    testing::write_handle(handles[0], "used");
    handles.clear();
    CHECK(testing::read_handle(pipe_read, 4) == "used");
    CHECK(testing::pipe_at_end(pipe_read));
    char last = 0;
    CHECK(async.sync().read_some(MutableBuffer(&last, 1)) == 1);
    CHECK(last == 't');
}

// Reads everything the peer sent, collecting handles, until `expected` bytes.
std::vector<OwnedHandle> drain(LocalStream& peer, std::size_t expected) {
    std::vector<OwnedHandle> handles;
    std::vector<char> chunk(1 << 16);
    std::size_t total = 0;
    while (total < expected)
        total += peer.receive(buffer(chunk.data(), std::min(chunk.size(), expected - total)), handles);
    CHECK(total == expected);
    return handles;
}

} // namespace

TEST_SUITE("async") {

TEST_CASE("async cancel: a receive cancelled with handles in flight takes nothing; the next gets all") {
    const testing::HandleLeakCheck leaks;
    SUBCASE("cancellation slot, total") { cancel_receive_with_handles_in_flight(Canceller::slot_total); }
    SUBCASE("cancellation slot, partial") { cancel_receive_with_handles_in_flight(Canceller::slot_partial); }
    SUBCASE("cancel()") { cancel_receive_with_handles_in_flight(Canceller::cancel_member); }
}

TEST_CASE("async cancel: a coroutine receive cancelled through its slot; seqpacket keeps the message") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    auto [a, b] = LocalSeqpacket::pair();
    AsyncSeqpacket<> async(context, std::move(a));
    std::array<char, 32> in{};
    std::vector<OwnedHandle> handles;
    net::cancellation_signal signal;
    std::optional<net_error_code> first;
    net::co_spawn(context,
                  [&]() -> net::awaitable<void> {
                      auto [ec, result] = co_await async.async_receive(
                          net::buffer(in), handles,
                          net::bind_cancellation_slot(signal.slot(), testing::as_tuple(net::use_awaitable)));
                      first = ec;
                      CHECK(result.bytes == 0);
                  },
                  net::detached);
    testing::run_for(context, 20ms);
    REQUIRE_FALSE(first.has_value());
    OwnedHandle file = testing::file_with("kept for the next receive");
    b.send("message", {file.borrow()});
    file.reset();
    signal.emit(net::cancellation_type::total);
    REQUIRE(testing::run_until(context, [&] { return first.has_value(); }));
    CHECK(testing::aborted(*first));
    CHECK(handles.empty());

    auto next = testing::complete_with<ReceiveResult, testing::TokenKind::awaitable>(context, [&](auto token) {
        return async.async_receive(net::buffer(in), handles, token);
    });
    CHECK_FALSE(next.ec);
    CHECK(next.value->bytes == 7);
    CHECK(std::string(in.data(), 7) == "message");
    REQUIRE(handles.size() == 1);
    CHECK(testing::read_whole_file(handles[0]) == "kept for the next receive");
}

TEST_CASE("async cancel: a send cancelled part way reports its bytes; its handles went exactly once") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    auto [async, peer] = stream_pair(context);
    // Far more than the socket buffer: the first sendmsg moves part of it
    // (with the handle), then the send waits for room.
    const std::vector<char> big(2 << 20, 'x');
    auto [pipe_read, pipe_write] = testing::make_pipe();
    const std::array<BorrowedHandle, 1> lent{pipe_write.borrow()};
    net::cancellation_signal signal;
    std::optional<net_error_code> result;
    std::size_t sent = 0;
    async.async_send(net::buffer(big), std::span<const BorrowedHandle>(lent),
                     net::bind_cancellation_slot(signal.slot(), [&](net_error_code ec, std::size_t n) {
                         result = ec;
                         sent = n;
                     }));
    testing::run_for(context, 20ms);
    REQUIRE_FALSE(result.has_value()); // waiting for room

    // Bytes have moved: a total cancellation cannot be honoured, and is not.
    signal.emit(net::cancellation_type::total);
    testing::run_for(context, 20ms);
    CHECK_FALSE(result.has_value());
    // A partial one is, reporting what moved.
    signal.emit(net::cancellation_type::partial);
    REQUIRE(testing::run_until(context, [&] { return result.has_value(); }));
    CHECK(testing::aborted(*result));
    CHECK(sent > 0);
    CHECK(sent < big.size());
    MESSAGE("cancelled after ", sent, " of ", big.size(), " bytes");

    std::vector<OwnedHandle> handles = drain(peer, sent);
    REQUIRE(handles.size() == 1); // exactly once
    testing::write_handle(handles[0], "once");
    handles.clear();
    pipe_write.reset();
    CHECK(testing::read_handle(pipe_read, 4) == "once");
    CHECK(testing::pipe_at_end(pipe_read));

    // The stream still works, in order.
    auto more = testing::complete_with<std::size_t, testing::TokenKind::callback>(context, [&](auto token) {
        return async.async_write_some(net::buffer("after", 5), token);
    });
    CHECK_FALSE(more.ec);
    std::string after(5, '\0');
    peer.read_exact(buffer(after));
    CHECK(after == "after");
}

TEST_CASE("async cancel: a send into a full socket cancelled before any byte moved sends no handle") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    auto [async, peer] = stream_pair(context);
    // Fill the socket buffer with plain bytes first.
    std::vector<char> chunk(1 << 16, 'f');
    std::size_t filled = 0;
    for (;;) {
        std::error_code ec;
        const std::size_t n = async.sync().write_some(buffer(chunk), ec);
        filled += n;
        if (ec) {
            REQUIRE(ec == std::errc::operation_would_block);
            break;
        }
    }
    OwnedHandle file = testing::file_with("never sent");
    const std::array<BorrowedHandle, 1> lent{file.borrow()};
    SUBCASE("total cancellation through the slot") {
        net::cancellation_signal signal;
        std::optional<net_error_code> result;
        std::size_t sent = 99;
        async.async_send(net::buffer("h", 1), std::span<const BorrowedHandle>(lent),
                         net::bind_cancellation_slot(signal.slot(), [&](net_error_code ec, std::size_t n) {
                             result = ec;
                             sent = n;
                         }));
        testing::run_for(context, 20ms);
        REQUIRE_FALSE(result.has_value());
        signal.emit(net::cancellation_type::total);
        REQUIRE(testing::run_until(context, [&] { return result.has_value(); }));
        CHECK(testing::aborted(*result));
        CHECK(sent == 0);
    }
    SUBCASE("cancel()") {
        std::optional<net_error_code> result;
        std::size_t sent = 99;
        async.async_send(net::buffer("h", 1), std::span<const BorrowedHandle>(lent),
                         [&](net_error_code ec, std::size_t n) {
                             result = ec;
                             sent = n;
                         });
        testing::run_for(context, 20ms);
        REQUIRE_FALSE(result.has_value());
        async.cancel();
        REQUIRE(testing::run_until(context, [&] { return result.has_value(); }));
        CHECK(testing::aborted(*result));
        CHECK(sent == 0);
    }
    CHECK(drain(peer, filled).empty());
    async.sync().shutdown(Shutdown::write);
    std::vector<OwnedHandle> none;
    CHECK(peer.receive(buffer(chunk), none) == 0); // nothing more came
    CHECK(none.empty());
}

} // TEST_SUITE
