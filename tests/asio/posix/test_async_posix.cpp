// Async tests of what only POSIX has: datagrams, typed ancillary data
// (credentials with a handle), and the descriptor's O_NONBLOCK flag, which
// the Asio layer sets while it owns the descriptor.
#include "../async_support.hpp"
#include "../token_exchange.hpp"

#include "../../support/process.hpp"
#include "../../support/resources.hpp"

#include <localsock/asio.hpp>
#include <localsock/localsock.hpp>

#include <array>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <fcntl.h>

using namespace localsock;
using testing::NoValue;
using testing::TokenKind;
using namespace testing::exchange;
using namespace std::chrono_literals;

// Child: connect, wait for the parent's "go" (its socket then passes
// credentials), send "a" with this process's credentials and a file.
CHILD_ROLE(async_credentials_client) {
    LocalStream stream = LocalStream::connect(LocalSocketName::parse(args.at(0)));
    char go = 0;
    stream.read_exact(MutableBuffer(&go, 1));
    OwnedHandle file = testing::file_with("with credentials");
    const std::array<BorrowedHandle, 1> handles{file.borrow()};
    ancillary::Builder control;
    control.add_credentials();
    control.add_handles(handles);
    CHILD_REQUIRE(stream.send("a", control) == 1);
    stream.read_exact(MutableBuffer(&go, 1)); // keep the socket until the parent is done
    return 0;
}

namespace {

bool nonblocking(native_handle_type fd) { return (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0; }

void datagram_exchange(net::io_context& context, AsyncDatagram<>& socket, const LocalSocketName& client_name) {
    std::array<char, 16> message{};
    std::vector<OwnedHandle> received;
    LocalSocketName sender;
    auto got = testing::complete_with<ReceiveResult, TokenKind::callback>(context, [&](auto token) {
        return socket.async_receive_from(net::buffer(message), sender, received, token);
    });
    CHECK_FALSE(got.ec);
    CHECK(got.value->bytes == 1);
    CHECK(message[0] == 'c');
    CHECK(sender == client_name);
    ServerAnswer answer = use_client_handles(received);

    std::vector<BorrowedHandle> lent;
    for (const OwnedHandle& h : answer.handles)
        lent.push_back(h.borrow());
    auto sent = testing::complete_with<NoValue, TokenKind::callback>(context, [&](auto token) {
        return socket.async_send_to(sender, net::buffer("s", 1), std::span<const BorrowedHandle>(lent), token);
    });
    CHECK_FALSE(sent.ec);
    check_client_used(answer);
}

} // namespace

TEST_SUITE("async") {

TEST_CASE("async tokens: handles both ways between processes over datagrams, with a callback") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    const LocalSocketName name = testing::unique_namespaced_name("async-tokens-dgram");
    const LocalSocketName client_name = testing::unique_namespaced_name("async-tokens-dgram-client");
    AsyncDatagram<> socket(context, LocalDatagram::bind(name));
    auto child = testing::ChildProcess::spawn("async_token_client",
                                              {"datagram", name.to_string(), client_name.to_string(), "1"});
    datagram_exchange(context, socket, client_name);
    CHECK(child.wait() == 0);
}

TEST_CASE("async tokens: typed ancillary data, the peer's credentials with a handle") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    const LocalSocketName name = testing::unique_namespaced_name("async-credentials");
    AsyncListener<> listener(context, LocalListener::bind(name));
    auto child = testing::ChildProcess::spawn("async_credentials_client", {name.to_string()});
    auto accepted = testing::complete_with<AsyncStream<>, TokenKind::callback>(
        context, [&](auto token) { return listener.async_accept(token); });
    REQUIRE_FALSE(accepted.ec);
    AsyncStream<> stream = std::move(*accepted.value);
    stream.sync().set_receive_credentials(true);
    CHECK_FALSE(testing::complete_with<std::size_t, TokenKind::awaitable>(context, [&](auto token) {
                    return stream.async_write_some(net::buffer("g", 1), token);
                }).ec);

    char tag = 0;
    ancillary::Received control;
    auto got = testing::complete_with<ReceiveResult, TokenKind::awaitable>(context, [&](auto token) {
        return stream.async_receive(net::buffer(&tag, 1), control, token);
    });
    CHECK_FALSE(got.ec);
    CHECK(got.value->bytes == 1);
    CHECK(tag == 'a');
    REQUIRE(control.credentials().has_value());
    CHECK(control.credentials()->pid == child.pid());
    CHECK(control.credentials()->uid == ancillary::own_credentials().uid);
    std::vector<OwnedHandle> handles = control.take_handles();
    REQUIRE(handles.size() == 1);
    CHECK(testing::read_whole_file(handles[0]) == "with credentials");

    ancillary::Builder answer;
    answer.add_credentials();
    auto sent = testing::complete_with<std::size_t, TokenKind::deferred>(context, [&](auto token) {
        return stream.async_send(net::buffer("k", 1), answer, token);
    });
    CHECK_FALSE(sent.ec);
    CHECK(*sent.value == 1);
    CHECK(child.wait() == 0);
}

TEST_CASE("async objects: the descriptor is non-blocking while assigned, blocking after release") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    auto [a, b] = LocalStream::pair();
    AsyncStream<> stream(context, std::move(a));
    CHECK(nonblocking(stream.native_handle()));
    LocalStream released = stream.release();
    CHECK_FALSE(nonblocking(released.native_handle()));

    auto [p1, p2] = LocalSeqpacket::pair();
    AsyncSeqpacket<> packet(context, std::move(p1));
    CHECK(nonblocking(packet.native_handle()));
    LocalSeqpacket packet_back = packet.release();
    CHECK_FALSE(nonblocking(packet_back.native_handle()));

    auto [d1, d2] = LocalDatagram::pair();
    AsyncDatagram<> datagram(context, std::move(d1));
    AsyncDatagram<> other(context, std::move(d2));
    exchange(context, datagram, other, "datagram");
    LocalDatagram sync_datagram = datagram.release();
    CHECK_FALSE(nonblocking(sync_datagram.native_handle()));
}

TEST_CASE("async close: a listener's socket file goes at close() and at destruction") {
    const testing::HandleLeakCheck leaks;
    const testing::TempDir dir;
    const auto path = dir / "server.sock";
    net::io_context context;
    AsyncListener<> listener(context, LocalListener::bind(LocalSocketName::filesystem(path)));
    CHECK(std::filesystem::exists(path));
    bool aborted = false;
    listener.async_accept([&](net_error_code ec, AsyncStream<>) { aborted = testing::aborted(ec); });
    testing::run_for(context, 10ms);
    listener.close();
    CHECK_FALSE(std::filesystem::exists(path)); // at close, before the accept has ended
    REQUIRE(testing::run_until(context, [&] { return aborted; }));
    {
        AsyncListener<> other(context, LocalListener::bind(LocalSocketName::filesystem(path)));
        CHECK(std::filesystem::exists(path));
    }
    CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("async truncation: more handles than a datagram receive accepts — bytes delivered, every handle closed") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    std::vector<OwnedHandle> readers, writers;
    for (int i = 0; i < 5; ++i) {
        auto [r, w] = testing::make_pipe();
        readers.push_back(std::move(r));
        writers.push_back(std::move(w));
    }
    std::vector<OwnedHandle> handles;
    std::array<char, 8> in{};
    auto [a, b] = LocalDatagram::pair();
    AsyncDatagram<> async(context, std::move(a));
    async.sync().set_max_handles_per_receive(2);
    std::vector<BorrowedHandle> lent;
    for (const OwnedHandle& w : writers)
        lent.push_back(w.borrow());
    b.send("five", lent);
    writers.clear();
    auto got = testing::complete_with<ReceiveResult, TokenKind::deferred>(context, [&](auto token) {
        return async.async_receive(net::buffer(in), handles, token);
    });
    CHECK(testing::std_error(got.ec) == errc::handles_truncated);
    CHECK(got.value->bytes == 4);
    CHECK(handles.empty());
    CHECK(writers.empty());
    for (const OwnedHandle& r : readers)
        CHECK(testing::pipe_at_end(r)); // no copy of a write end survived anywhere
}

} // TEST_SUITE
