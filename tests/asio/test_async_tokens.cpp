// Async tests: handles both ways between two processes with every kind of
// completion token, on streams and sequenced packets, with a callback on
// datagrams; typed ancillary data (credentials with a handle) once.
//
// Every operation of every socket type starts through the same
// async_initiate (asio_detail::start_attempt): what a token kind exercises
// depends on the completion signature, not on the socket type. Streams
// (accept, byte counts) and sequenced packets (accept, ReceiveResult, void)
// cover every kind with every signature; datagrams complete with the
// sequenced packets' signatures, so they run their exchange with a callback
// only, which saves compiling eight more token paths in each Asio flavour.
#include "async_support.hpp"

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

namespace {

// The exchange both sides follow. The client sends "c" with a file holding
// "from client" and the write end of a pipe it keeps reading; the server
// reads the file, writes "server was here" into the pipe and answers "s"
// with a file holding "from server" and the write end of its own pipe; the
// client reads that file and writes "client was here" into the server's
// pipe. Each side proves it got working handles by what the other one finds.
constexpr std::string_view client_file = "from client";
constexpr std::string_view server_file = "from server";
constexpr std::string_view server_mark = "server was here";
constexpr std::string_view client_mark = "client was here";

// The client's side of the exchange over a sync socket; `send` and
// `receive` adapt it to the socket type.
template <class Send, class Receive>
void client_exchange(Send send, Receive receive) {
    auto [pipe_read, pipe_write] = testing::make_pipe();
    OwnedHandle file = testing::file_with(client_file);
    send({file.borrow(), pipe_write.borrow()});
    pipe_write.reset();
    file.reset();
    std::vector<OwnedHandle> handles = receive();
    CHILD_REQUIRE(handles.size() == 2);
    CHILD_REQUIRE(testing::read_handle(pipe_read, server_mark.size()) == server_mark);
    CHILD_REQUIRE(testing::pipe_at_end(pipe_read)); // the server closed its copy
    CHILD_REQUIRE(testing::read_whole_file(handles[0]) == server_file);
    testing::write_handle(handles[1], client_mark);
}

} // namespace

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

// The server's side, after it received the client's handles: check and use
// them, and make what it answers with. Returns {the answer's handles, the
// read end of its own pipe}.
struct ServerAnswer {
    std::vector<OwnedHandle> handles;
    OwnedHandle pipe_read;
};
ServerAnswer use_client_handles(std::vector<OwnedHandle>& received) {
    REQUIRE(received.size() == 2);
    CHECK(testing::read_whole_file(received[0]) == client_file);
    testing::write_handle(received[1], server_mark);
    received.clear();
    auto [pipe_read, pipe_write] = testing::make_pipe();
    ServerAnswer answer;
    answer.handles.push_back(testing::file_with(server_file));
    answer.handles.push_back(std::move(pipe_write));
    answer.pipe_read = std::move(pipe_read);
    return answer;
}

void check_client_used(ServerAnswer& answer) {
    answer.handles.clear(); // the sender keeps what it lent: close our copies
    CHECK(testing::read_handle(answer.pipe_read, client_mark.size()) == client_mark);
    CHECK(testing::pipe_at_end(answer.pipe_read)); // the client closed its copy too
}

constexpr std::size_t token_kinds = std::size(testing::all_token_kinds);

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

} // TEST_SUITE
