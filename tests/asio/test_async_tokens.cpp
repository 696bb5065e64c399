// Async tests: handles both ways between two processes with every kind of
// completion token, on streams and sequenced packets (datagrams and typed
// ancillary data, POSIX only: posix/test_async_posix.cpp).
//
// Every operation of every socket type starts through the same
// async_initiate (asio_detail::start_attempt): what a token kind exercises
// depends on the completion signature, not on the socket type. Streams
// (accept, byte counts) and sequenced packets (accept, ReceiveResult, void)
// cover every kind with every signature; datagrams complete with the
// sequenced packets' signatures, so they run their exchange with a callback
// only, which saves compiling eight more token paths in each Asio flavour.
#include "async_support.hpp"
#include "token_exchange.hpp"

#include "../support/process.hpp"
#include "../support/resources.hpp"

#include <localsock/asio.hpp>
#include <localsock/localsock.hpp>

#include <array>
#include <iterator>
#include <string>
#include <vector>

using namespace localsock;
using testing::NoValue;
using testing::TokenKind;
using namespace testing::exchange;


// Child: the client side of the exchange, args[3] times in a row (one
// exchange per token kind the parent tries); args: socket type, the
// server's name, for datagrams the name to bind, the count.
CHILD_ROLE(async_token_client) {
    const std::string& type = args.at(0);
    const LocalSocketName server = LocalSocketName::parse(args.at(1));
    const int count = std::stoi(args.at(3));
    LocalDatagram datagram;
    if (type == "datagram")
        datagram = LocalDatagram::bind(LocalSocketName::parse(args.at(2)));
    for (int i = 0; i < count; ++i) {
        char reply = 0;
        if (type == "stream") {
            LocalStream stream = LocalStream::connect(server);
            client_exchange(
                [&](std::initializer_list<BorrowedHandle> h) { CHILD_REQUIRE(stream.send("c", h) == 1); },
                [&] {
                    std::vector<OwnedHandle> handles;
                    CHILD_REQUIRE(stream.receive(MutableBuffer(&reply, 1), handles) == 1);
                    return handles;
                });
        } else if (type == "seqpacket") {
            LocalSeqpacket socket = LocalSeqpacket::connect(server);
            client_exchange([&](std::initializer_list<BorrowedHandle> h) { socket.send("c", h); },
                            [&] {
                                std::vector<OwnedHandle> handles;
                                CHILD_REQUIRE(socket.receive(MutableBuffer(&reply, 1), handles).bytes == 1);
                                return handles;
                            });
        } else {
            client_exchange([&](std::initializer_list<BorrowedHandle> h) { datagram.send_to(server, "c", h); },
                            [&] {
                                std::vector<OwnedHandle> handles;
                                LocalSocketName sender;
                                CHILD_REQUIRE(
                                    datagram.receive_from(MutableBuffer(&reply, 1), sender, handles).bytes == 1);
                                CHILD_REQUIRE(sender == server);
                                return handles;
                            });
        }
        CHILD_REQUIRE(reply == 's');
    }
    return 0;
}

namespace {

// The server's side of one exchange, every operation with a token of `kind`.
void stream_exchange(TokenKind kind, net::io_context& context, AsyncListener<>& listener) {
    auto accepted = testing::complete_with<AsyncStream<>>(kind, context,
                                                          [&](auto token) { return listener.async_accept(token); });
    REQUIRE_FALSE(accepted.ec);
    AsyncStream<> stream = std::move(*accepted.value);
    CHECK(stream.is_open());

    char tag = 0;
    std::vector<OwnedHandle> received;
    auto got = testing::complete_with<std::size_t>(kind, context, [&](auto token) {
        return stream.async_receive(net::buffer(&tag, 1), received, token);
    });
    CHECK_FALSE(got.ec);
    CHECK(*got.value == 1);
    CHECK(tag == 'c');
    ServerAnswer answer = use_client_handles(received);

    auto sent = testing::complete_with<std::size_t>(kind, context, [&](auto token) {
        return stream.async_send(net::buffer("s", 1), std::span<const OwnedHandle>(answer.handles), token);
    });
    CHECK_FALSE(sent.ec);
    CHECK(*sent.value == 1);
    check_client_used(answer);
}

} // namespace

TEST_SUITE("async") {

TEST_CASE("async tokens: handles both ways between processes over a stream, every token kind") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    const LocalSocketName name = testing::unique_namespaced_name("async-tokens");
    AsyncListener<> listener(context, LocalListener::bind(name));
    auto child = testing::ChildProcess::spawn("async_token_client",
                                              {"stream", name.to_string(), "", std::to_string(token_kinds)});
    for (const TokenKind kind : testing::all_token_kinds) {
        CAPTURE(testing::name_of(kind));
        stream_exchange(kind, context, listener);
    }
    CHECK(child.wait() == 0);
}

} // TEST_SUITE
