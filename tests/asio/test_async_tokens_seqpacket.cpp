// Async tests: handles both ways between two processes over sequenced
// packets with every kind of completion token (the stream's and the child
// process's side: test_async_tokens.cpp; one file each, so that a Windows
// object file stays within the assembler's COFF string table).
#include "async_support.hpp"
#include "token_exchange.hpp"

#include "../support/process.hpp"
#include "../support/resources.hpp"

#include <localsock/asio.hpp>
#include <localsock/localsock.hpp>

#include <array>
#include <vector>

using namespace localsock;
using testing::NoValue;
using testing::TokenKind;
using namespace testing::exchange;

namespace {

void seqpacket_exchange(TokenKind kind, net::io_context& context, AsyncSeqpacketListener<>& listener) {
    auto accepted = testing::complete_with<AsyncSeqpacket<>>(
        kind, context, [&](auto token) { return listener.async_accept(token); });
    REQUIRE_FALSE(accepted.ec);
    AsyncSeqpacket<> socket = std::move(*accepted.value);

    std::array<char, 16> message{};
    std::vector<OwnedHandle> received;
    auto got = testing::complete_with<ReceiveResult>(kind, context, [&](auto token) {
        return socket.async_receive(net::buffer(message), received, token);
    });
    CHECK_FALSE(got.ec);
    CHECK(got.value->bytes == 1);
    CHECK_FALSE(got.value->data_truncated);
    CHECK(message[0] == 'c');
    ServerAnswer answer = use_client_handles(received);

    auto sent = testing::complete_with<NoValue>(kind, context, [&](auto token) {
        return socket.async_send(net::buffer("s", 1), std::span<const OwnedHandle>(answer.handles), token);
    });
    CHECK_FALSE(sent.ec);
    check_client_used(answer);
}

} // namespace

TEST_SUITE("async") {

TEST_CASE("async tokens: handles both ways between processes over seqpacket, every token kind") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    const LocalSocketName name = testing::unique_namespaced_name("async-tokens-seq");
    AsyncSeqpacketListener<> listener(context, LocalSeqpacketListener::bind(name));
    auto child = testing::ChildProcess::spawn("async_token_client",
                                              {"seqpacket", name.to_string(), "", std::to_string(token_kinds)});
    for (const TokenKind kind : testing::all_token_kinds) {
        CAPTURE(testing::name_of(kind));
        seqpacket_exchange(kind, context, listener);
    }
    CHECK(child.wait() == 0);
}

} // TEST_SUITE
