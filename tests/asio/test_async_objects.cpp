// Async tests: the objects themselves — built from a sync object or
// assigned one, released back to a working blocking object, moved (the
// moved-from object is closed and reusable).
#include "async_support.hpp"
#include "token_exchange.hpp"

#include "../support/resources.hpp"
#include "../support/thread.hpp"

#include <localsock/asio.hpp>
#include <localsock/localsock.hpp>

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>


using namespace localsock;
using namespace std::chrono_literals;
using testing::exchange::exchange;

TEST_SUITE("async") {

TEST_CASE("async objects: release() gives back a blocking object that works") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    auto [a, b] = LocalStream::pair();
    AsyncStream<> async(context, std::move(a));
    AsyncStream<> peer(context, std::move(b));
    // The sync object underneath does not wait: it reports would_block.
    char probe = 0;
    std::error_code probe_ec;
    CHECK(async.sync().read_some(MutableBuffer(&probe, 1), probe_ec) == 0);
    CHECK(probe_ec == std::errc::operation_would_block);
    exchange(context, peer, async, "before release");

    // A receive pending at release ends with operation_aborted.
    std::array<char, 8> in{};
    std::vector<OwnedHandle> handles;
    std::optional<net_error_code> pending;
    async.async_receive(net::buffer(in), handles, [&](net_error_code ec, std::size_t) { pending = ec; });
    testing::run_for(context, 10ms);
    LocalStream released = async.release();
    CHECK_FALSE(async.is_open());
    REQUIRE(testing::run_until(context, [&] { return pending.has_value(); }));
    CHECK(testing::aborted(*pending));
    REQUIRE(released.is_open());

    // Blocking: a read waits for bytes that come later, instead of
    // reporting would_block.
    LocalStream peer_sync = peer.release();
    testing::Thread late([&] {
        std::this_thread::sleep_for(50ms);
        OwnedHandle file = testing::file_with("late");
        peer_sync.send("L", {file.borrow()});
    });
    char tag = 0;
    CHECK(released.receive(MutableBuffer(&tag, 1), handles) == 1);
    late.join();
    CHECK(tag == 'L');
    REQUIRE(handles.size() == 1);
    CHECK(testing::read_whole_file(handles[0]) == "late");

    // Released objects go back to async use.
    AsyncStream<> again(context.get_executor(), std::move(released));
    AsyncStream<> peer_again(context);
    peer_again.assign(std::move(peer_sync));
    exchange(context, again, peer_again, "after release");
}

TEST_CASE("async objects: a released listener accepts blocking; a seqpacket released blocks again") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    const LocalSocketName name = testing::unique_namespaced_name("async-release");
    AsyncSeqpacketListener<> listener(context, LocalSeqpacketListener::bind(name));
    LocalSeqpacketListener sync_listener = listener.release();
    CHECK_FALSE(listener.is_open());
    LocalSeqpacket client = LocalSeqpacket::connect(name);
    LocalSeqpacket server = sync_listener.accept(); // blocking again, and the connection is there
    AsyncSeqpacket<> async_client(context, std::move(client));
    AsyncSeqpacket<> async_server(context, std::move(server));
    exchange(context, async_client, async_server, "seqpacket");
    // Blocking again: with nothing queued a receive waits out its timeout
    // instead of reporting would_block.
    LocalSeqpacket back = async_server.release();
    back.set_read_timeout(20ms);
    char probe = 0;
    std::error_code probe_ec;
    (void)back.receive(MutableBuffer(&probe, 1), probe_ec);
    CHECK(probe_ec == std::errc::timed_out);
}

TEST_CASE("async objects: moved-from objects are closed and reusable") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    auto [a, b] = LocalStream::pair();
    AsyncStream<> first(context, std::move(a));
    AsyncStream<> peer(context, std::move(b));

    AsyncStream<> second(std::move(first)); // move construction
    CHECK_FALSE(first.is_open());
    CHECK(second.is_open());
    exchange(context, second, peer, "moved");

    AsyncStream<> third(context);
    third = std::move(second); // move assignment
    CHECK_FALSE(second.is_open());
    exchange(context, peer, third, "assigned");

    // Both moved-from objects take a new socket and work.
    auto [c, d] = LocalStream::pair();
    first.assign(std::move(c));
    second.assign(std::move(d));
    exchange(context, first, second, "reused");

    // Move assignment over an open object closes what it held (a socket;
    // on Windows a pipe and the events of its I/O).
    const int before = static_cast<int>(testing::count_open_handles());
    first = std::move(second);
    CHECK(static_cast<int>(testing::count_open_handles()) < before);
    CHECK(first.is_open());
}

TEST_CASE("async objects: assign refuses a closed object and leaves it with the caller") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    AsyncStream<> stream(context);
    std::error_code ec;
    stream.assign(LocalStream(), ec);
    CHECK(ec == std::errc::bad_file_descriptor);
    CHECK_FALSE(stream.is_open());
    CHECK_THROWS_AS(stream.assign(LocalStream()), std::system_error);
    CHECK(stream.release().is_open() == false);
}

} // TEST_SUITE
