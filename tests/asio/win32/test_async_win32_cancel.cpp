// Async tests (Windows): cancelling, closing and destroying with operations
// in the kernel — a zero-byte read, a write into a full pipe, a listener's
// connects, a connect retrying on a busy server. Every operation ends with
// operation_aborted; a receive cancelled takes nothing; a write cancelled
// before a byte went takes its handles back (they are closed where they
// are); nothing is left open, and an io_context destroyed with all of it
// pending neither hangs nor crashes. Callback tokens only (tests/meson.build).
#include "async_win32_support.hpp"

#include "../../support/resources.hpp"

#include <localsock/asio.hpp>
#include <localsock/localsock.hpp>

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

using namespace localsock;
using namespace std::chrono_literals;
using testing::win32_async::Completion;
using testing::win32_async::fill_pipe;
using testing::win32_async::writers_gone;

namespace {

// How a test cancels a pending operation: its slot, or cancel().
enum class Canceller { slot, member };
constexpr std::array<Canceller, 2> all_cancellers{Canceller::slot, Canceller::member};
const char* name_of(Canceller how) { return how == Canceller::slot ? "cancellation slot" : "cancel()"; }

template <class Object>
void cancel_by(Canceller how, Object& object, net::cancellation_signal& signal, net::cancellation_type type) {
    if (how == Canceller::slot)
        signal.emit(type);
    else
        object.cancel();
}

// `start(handler)` starts an operation that must wait; it is cancelled and
// must end with operation_aborted.
template <class Object, class Start>
Completion start_and_cancel(net::io_context& context, Object& object, Canceller how, net::cancellation_type type,
                            Start start) {
    net::cancellation_signal signal;
    Completion done;
    start(net::bind_cancellation_slot(signal.slot(), done.handler()));
    testing::run_for(context, 30ms);
    REQUIRE_FALSE(done.done()); // waiting
    cancel_by(how, object, signal, type);
    REQUIRE(testing::run_until(context, [&] { return done.done(); }, 2s));
    CHECK(testing::aborted(*done.ec));
    return done;
}

// `payload` bytes from a stream, and the handles that came with them.
std::vector<OwnedHandle> drain(LocalStream& peer, std::size_t payload) {
    std::vector<OwnedHandle> handles;
    std::vector<char> chunk(1 << 16);
    std::size_t total = 0;
    while (total < payload)
        total += peer.receive(buffer(chunk.data(), std::min(chunk.size(), payload - total)), handles);
    return handles;
}

// An accept cancelled takes no connection; the next one gets it.
void cancel_accept(Canceller how) {
    CAPTURE(name_of(how));
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    const LocalSocketName name = testing::unique_namespaced_name("async-cancel-accept");
    AsyncListener<> listener(context, LocalListener::bind(name));
    start_and_cancel(context, listener, how, net::cancellation_type::total,
                     [&](auto handler) { listener.async_accept(std::move(handler)); });
    LocalStream client = LocalStream::connect(name);
    client.write_all("k");
    std::optional<AsyncStream<>> accepted;
    listener.async_accept([&](net_error_code ec, AsyncStream<> s) {
        CHECK_FALSE(ec);
        accepted.emplace(std::move(s));
    });
    REQUIRE(testing::run_until(context, [&] { return accepted.has_value(); }));
    char k = 0;
    CHECK(accepted->sync().read_some(MutableBuffer(&k, 1)) == 1);
    CHECK(k == 'k');
}

} // namespace

TEST_SUITE("async") {

TEST_CASE("async win32 cancel: an accept takes no connection; the next one gets it") {
    cancel_accept(Canceller::slot);
}

TEST_CASE("async win32 cancel: an accept cancelled by cancel() takes no connection") {
    cancel_accept(Canceller::member);
}

TEST_CASE("async win32 cancel: a connect waiting for a busy server stops at once") {
    for (const Canceller how : all_cancellers) {
        CAPTURE(name_of(how));
        const testing::HandleLeakCheck leaks;
        net::io_context context;
        const LocalSocketName name = testing::unique_namespaced_name("async-cancel-connect");
        LocalListener listener = LocalListener::bind(name, {.backlog = 1});
        LocalStream first = LocalStream::connect(name); // takes the one instance
        AsyncStream<> stream(context);
        const auto started = std::chrono::steady_clock::now();
        start_and_cancel(context, stream, how, net::cancellation_type::total, [&](auto handler) {
            stream.async_connect(name, {.busy_timeout = 5s}, std::move(handler));
        });
        CHECK(std::chrono::steady_clock::now() - started < 1s);
        CHECK_FALSE(stream.is_open());
    }
}

TEST_CASE("async win32 cancel: a receive cancelled with bytes and a handle queued takes nothing") {
    for (const Canceller how : all_cancellers) {
        CAPTURE(name_of(how));
        const testing::HandleLeakCheck leaks;
        net::io_context context;
        auto [a, peer] = LocalStream::pair();
        AsyncStream<> async(context, std::move(a));
        std::array<char, 8> in{};
        std::vector<OwnedHandle> handles;
        auto [pipe_read, pipe_write] = testing::make_pipe();
        net::cancellation_signal signal;
        Completion first;
        async.async_receive(net::buffer(in), handles, net::bind_cancellation_slot(signal.slot(), first.handler()));
        testing::run_for(context, 30ms);
        REQUIRE_FALSE(first.done());
        CHECK(peer.send("queued", {pipe_write.borrow()}) == 6); // the zero-byte read completes
        pipe_write.reset();
        cancel_by(how, async, signal, net::cancellation_type::total);
        REQUIRE(testing::run_until(context, [&] { return first.done(); }));
        CHECK(testing::aborted(*first.ec));
        CHECK(first.bytes == 0);
        CHECK(handles.empty());

        Completion next;
        async.async_receive(net::buffer(in), handles, next.handler());
        REQUIRE(testing::run_until(context, [&] { return next.done(); }));
        CHECK_FALSE(*next.ec);
        CHECK(std::string(in.data(), next.bytes) == "queued");
        REQUIRE(handles.size() == 1);
        testing::write_handle(handles[0], "used");
        handles.clear();
        CHECK(testing::read_handle(pipe_read, 4) == "used");
        CHECK(testing::pipe_at_end(pipe_read));
    }
}

TEST_CASE("async win32 cancel: a seqpacket receive cancelled takes nothing; the next gets the message") {
    for (const Canceller how : all_cancellers) {
        CAPTURE(name_of(how));
        const testing::HandleLeakCheck leaks;
        net::io_context context;
        auto [a, peer] = LocalSeqpacket::pair();
        AsyncSeqpacket<> async(context, std::move(a));
        std::array<char, 16> in{};
        std::vector<OwnedHandle> handles;
        auto [pipe_read, pipe_write] = testing::make_pipe();
        net::cancellation_signal signal;
        Completion first;
        async.async_receive(net::buffer(in), handles, net::bind_cancellation_slot(signal.slot(), first.handler()));
        testing::run_for(context, 30ms);
        REQUIRE_FALSE(first.done());
        peer.send("message", {pipe_write.borrow()});
        pipe_write.reset();
        cancel_by(how, async, signal, net::cancellation_type::total);
        REQUIRE(testing::run_until(context, [&] { return first.done(); }));
        CHECK(testing::aborted(*first.ec));
        CHECK(handles.empty());

        Completion next;
        async.async_receive(net::buffer(in), handles, next.handler());
        REQUIRE(testing::run_until(context, [&] { return next.done(); }));
        CHECK_FALSE(*next.ec);
        CHECK(std::string(in.data(), next.bytes) == "message");
        REQUIRE(handles.size() == 1);
        testing::write_handle(handles[0], "used");
        handles.clear();
        CHECK(testing::read_handle(pipe_read, 4) == "used");
        CHECK(testing::pipe_at_end(pipe_read));
    }
}

TEST_CASE("async win32 cancel: a stream send into a full pipe, cancelled before a byte went, closes its handles") {
    for (const Canceller how : all_cancellers) {
        CAPTURE(name_of(how));
        const testing::HandleLeakCheck leaks;
        net::io_context context;
        auto [a, peer] = LocalStream::pair();
        AsyncStream<> async(context, std::move(a));
        const auto filled = fill_pipe(context, async, peer.native_handle());
        auto [pipe_read, pipe_write] = testing::make_pipe();
        const std::array<BorrowedHandle, 1> lent{pipe_write.borrow()};
        // Partial: a write in the kernel may have moved bytes by the time it
        // is cancelled, so it does not accept total cancellation.
        const Completion send = start_and_cancel(context, async, how, net::cancellation_type::partial,
                                                 [&](auto handler) {
                                                     async.async_send(net::buffer("h", 1),
                                                                      std::span<const BorrowedHandle>(lent),
                                                                      std::move(handler));
                                                 });
        CHECK(send.bytes == 0);
        pipe_write.reset();
        // The frame's copy of the write end was closed where it was.
        REQUIRE(writers_gone(pipe_read));
        CHECK(testing::pipe_at_end(pipe_read));

        CHECK(drain(peer, filled.payload).empty());
        Completion after;
        async.async_write_some(net::buffer("after", 5), after.handler());
        REQUIRE(testing::run_until(context, [&] { return after.done(); }));
        CHECK_FALSE(*after.ec);
        std::array<char, 5> in{};
        peer.read_exact(buffer(in));
        CHECK(std::string(in.data(), 5) == "after"); // not "h": the cancelled frame never went
    }
}

TEST_CASE("async win32 cancel: a seqpacket send into a full pipe, cancelled, closes its handles") {
    for (const Canceller how : all_cancellers) {
        CAPTURE(name_of(how));
        const testing::HandleLeakCheck leaks;
        net::io_context context;
        auto [a, peer] = LocalSeqpacket::pair();
        AsyncSeqpacket<> async(context, std::move(a));
        const auto filled = fill_pipe(context, async, peer.native_handle());
        auto [pipe_read, pipe_write] = testing::make_pipe();
        const std::array<BorrowedHandle, 1> lent{pipe_write.borrow()};
        start_and_cancel(context, async, how, net::cancellation_type::partial, [&](auto handler) {
            async.async_send(net::buffer("h", 1), std::span<const BorrowedHandle>(lent), std::move(handler));
        });
        pipe_write.reset();
        REQUIRE(writers_gone(pipe_read));
        CHECK(testing::pipe_at_end(pipe_read));

        std::array<char, 8> in{};
        std::vector<OwnedHandle> handles;
        for (std::size_t i = 0; i < filled.frames; ++i)
            CHECK(peer.receive(buffer(in), handles).bytes > 0);
        CHECK(handles.empty());
        Completion after;
        async.async_send(net::buffer("after", 5), after.handler());
        REQUIRE(testing::run_until(context, [&] { return after.done(); }));
        CHECK_FALSE(*after.ec);
        const ReceiveResult r = peer.receive(buffer(in), handles);
        CHECK(std::string(in.data(), r.bytes) == "after"); // the cancelled message never went
    }
}

TEST_CASE("async win32 close: a stream and a seqpacket with a receive and a full-pipe send pending, a listener "
          "with an accept pending") {
    for (const bool destroy : {false, true}) {
        CAPTURE(destroy);
        const testing::HandleLeakCheck leaks;
        net::io_context context;
        auto [a, stream_peer] = LocalStream::pair();
        auto [b, packet_peer] = LocalSeqpacket::pair();
        auto stream = std::make_unique<AsyncStream<>>(context, std::move(a));
        auto packet = std::make_unique<AsyncSeqpacket<>>(context, std::move(b));
        auto listener = std::make_unique<AsyncListener<>>(
            context, LocalListener::bind(testing::unique_namespaced_name("async-close-win32")));
        fill_pipe(context, *stream, stream_peer.native_handle());
        fill_pipe(context, *packet, packet_peer.native_handle());
        auto [pipe_read, pipe_write] = testing::make_pipe();
        const std::array<BorrowedHandle, 1> lent{pipe_write.borrow()};
        std::array<char, 8> in_stream{}, in_packet{};
        std::vector<OwnedHandle> handles;
        Completion stream_receive, stream_send, packet_receive, packet_send, accept;
        stream->async_receive(net::buffer(in_stream), handles, stream_receive.handler());
        stream->async_send(net::buffer("h", 1), std::span<const BorrowedHandle>(lent), stream_send.handler());
        packet->async_receive(net::buffer(in_packet), handles, packet_receive.handler());
        packet->async_send(net::buffer("h", 1), std::span<const BorrowedHandle>(lent), packet_send.handler());
        listener->async_accept(accept.handler());
        pipe_write.reset();
        testing::run_for(context, 30ms);
        const std::array<Completion*, 5> all{&stream_receive, &stream_send, &packet_receive, &packet_send, &accept};
        for (const Completion* c : all)
            REQUIRE_FALSE(c->done());

        if (destroy) {
            stream.reset();
            packet.reset();
            listener.reset();
        } else {
            stream->close();
            packet->close();
            listener->close();
            CHECK_FALSE(stream->is_open());
            CHECK_FALSE(packet->is_open());
            CHECK_FALSE(listener->is_open());
        }
        REQUIRE(testing::run_until(context, [&] {
            return std::all_of(all.begin(), all.end(), [](const Completion* c) { return c->done(); });
        }));
        for (const Completion* c : all)
            CHECK(testing::aborted(*c->ec));
        CHECK(handles.empty());
        // Both frames' copies of the write end are closed, in the objects'
        // process (a pair is in one).
        REQUIRE(writers_gone(pipe_read));
        CHECK(testing::pipe_at_end(pipe_read));
        // No operation is left in the kernel (a listener's cancelled connects
        // included): the context runs out of work at once.
        context.restart();
        context.run_for(2s);
        CHECK(context.stopped());
    }
}

// A write in the kernel ended by close() or release(): the operation reports
// what went (none here: the pipe was full), from the write's own figures —
// after release() the sync object is no longer there to ask.
TEST_CASE("async win32 close: a write in the kernel ended by close() or release() reports no byte sent") {
    for (const bool release : {false, true}) {
        CAPTURE(release);
        const testing::HandleLeakCheck leaks;
        net::io_context context;
        auto [a, peer] = LocalStream::pair();
        AsyncStream<> async(context, std::move(a));
        fill_pipe(context, async, peer.native_handle());
        Completion send;
        async.async_send(net::buffer("h", 1), std::span<const BorrowedHandle>(), send.handler());
        testing::run_for(context, 30ms);
        REQUIRE_FALSE(send.done());
        LocalStream released;
        if (release)
            released = async.release();
        else
            async.close();
        REQUIRE(testing::run_until(context, [&] { return send.done(); }));
        CHECK(testing::aborted(*send.ec));
        CHECK(send.bytes == 0);
    }
}

TEST_CASE("async win32 close: an io_context destroyed with operations in the kernel neither hangs nor crashes") {
    const testing::HandleLeakCheck leaks;
    auto [pipe_read, pipe_write] = testing::make_pipe();
    auto [a, stream_peer] = LocalStream::pair();
    auto [b, packet_peer] = LocalSeqpacket::pair();
    int handlers_run = 0;
    {
        auto context = std::make_unique<net::io_context>();
        // The objects are owned by their operations' handlers alone, as a
        // server's connections often are: they die with the context.
        auto stream = std::make_shared<AsyncStream<>>(*context, std::move(a));
        auto packet = std::make_shared<AsyncSeqpacket<>>(*context, std::move(b));
        auto listener = std::make_shared<AsyncListener<>>(
            *context, LocalListener::bind(testing::unique_namespaced_name("async-context-gone")));
        fill_pipe(*context, *stream, stream_peer.native_handle());
        fill_pipe(*context, *packet, packet_peer.native_handle());
        const std::array<BorrowedHandle, 1> lent{pipe_write.borrow()};
        auto in = std::make_shared<std::array<char, 8>>();
        auto handles = std::make_shared<std::vector<OwnedHandle>>();
        auto count = [&handlers_run](auto owner) {
            return [&handlers_run, owner](net_error_code, auto&&...) { ++handlers_run; };
        };
        stream->async_receive(net::buffer(*in), *handles, count(std::make_pair(stream, handles)));
        stream->async_send(net::buffer("h", 1), std::span<const BorrowedHandle>(lent), count(stream));
        packet->async_receive(net::buffer(*in), *handles, count(std::make_pair(packet, in)));
        packet->async_send(net::buffer("h", 1), std::span<const BorrowedHandle>(lent), count(packet));
        listener->async_accept(count(listener));
        testing::run_for(*context, 30ms);
        REQUIRE(handlers_run == 0);
        stream.reset();
        packet.reset();
        listener.reset();
        in.reset();
        handles.reset();
        pipe_write.reset();
        const auto started = std::chrono::steady_clock::now();
        context.reset();
        CHECK(std::chrono::steady_clock::now() - started < 5s);
    }
    CHECK(handlers_run == 0); // destroyed unrun, as Asio does at shutdown
    // Every object, and the frames in flight with their handle copies, are gone.
    REQUIRE(writers_gone(pipe_read));
    CHECK(testing::pipe_at_end(pipe_read));
}

} // TEST_SUITE
