// Whole values as messages: trivially copyable structs with handles, and a
// user codec, over sequenced-packet connections (every OS).
#include <doctest/doctest.h>

#include "support/process.hpp"
#include "support/resources.hpp"

#include <localsock/localsock.hpp>

#include <cstdint>
#include <cstring>
#include <string>

using namespace localsock;

namespace {

struct Request {
    std::uint32_t id;
    double amount;
    char tag[8];
};

// What a user's serialisation looks like: "<count>:<text>", its own buffers.
struct Greeting {
    std::string text;
    int count = 0;
};

class GreetingCodec {
public:
    std::span<const std::byte> encode(const Greeting& g) {
        encoded_ = std::to_string(g.count) + ":" + g.text;
        return std::as_bytes(std::span<const char>(encoded_));
    }
    std::span<std::byte> receive_buffer() { return incoming_; }
    bool decode(std::span<const std::byte> bytes, Greeting& out) {
        const std::string s(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        const auto colon = s.find(':');
        if (colon == std::string::npos || colon == 0)
            return false;
        out.count = std::stoi(s.substr(0, colon));
        out.text = s.substr(colon + 1);
        return true;
    }

private:
    std::string encoded_;
    std::array<std::byte, 64> incoming_{};
};

static_assert(MessageCodec<GreetingCodec, Greeting>);
static_assert(MessageSocket<LocalSeqpacket>);
static_assert(MessageSocket<LocalDatagram>);
static_assert(TriviallyCopyableValue<Request>);
// Rejected at compile time: no bytes-of-the-object for these.
static_assert(!TriviallyCopyableValue<std::string>);
static_assert(!TriviallyCopyableValue<Request*>);
template <class V>
constexpr bool can_send_value = requires(LocalSeqpacket& s, const V& v) { send_value(s, v); };
template <class V>
constexpr bool can_receive_value = requires(LocalSeqpacket& s, V& v, std::vector<OwnedHandle>& h) {
    receive_value(s, v, h);
};
static_assert(can_send_value<Request> && can_receive_value<Request>);
static_assert(!can_send_value<std::string> && !can_receive_value<std::vector<int>>);
static_assert(!can_send_value<const char*>);

} // namespace

// Child: connect to args[0], send a Request with a file, receive one back.
CHILD_ROLE(value_sender) {
    LocalSeqpacket socket = LocalSeqpacket::connect(LocalSocketName::parse(args.at(0)));
    OwnedHandle file = testing::file_with("attached to a struct");
    Request request{42, 2.5, "hello"};
    const BorrowedHandle lent[] = {file.borrow()};
    send_value(socket, request, lent);
    const Request answer = receive_value<Request>(socket);
    CHILD_REQUIRE(answer.id == 43 && std::string(answer.tag) == "reply");
    return 0;
}

TEST_SUITE("ipc") {

TEST_CASE("values: a struct with a handle between processes") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("values");
    LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name);
    auto child = testing::ChildProcess::spawn("value_sender", {name.to_string()});
    LocalSeqpacket socket = listener.accept();
    Request request{};
    std::vector<OwnedHandle> handles;
    receive_value(socket, request, handles);
    CHECK(request.id == 42);
    CHECK(request.amount == 2.5);
    CHECK(std::string(request.tag) == "hello");
    REQUIRE(handles.size() == 1);
    CHECK(testing::read_whole_file(handles[0]) == "attached to a struct");
    handles.clear();
    send_value(socket, Request{43, 0, "reply"});
    CHECK(child.wait() == 0);
}

TEST_CASE("values: a message of the wrong size is an error, the connection goes on") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalSeqpacket::pair();
    OwnedHandle file = testing::file_with("with a short message");
    a.send("short", {file.borrow()});
    a.send(std::string(sizeof(Request) + 10, 'x'));
    send_value(a, Request{7, 1.0, "ok"});
    send_value(a, Request{8, 2.0, "alone"});
    send_value(a, std::uint16_t{3});
    Request r{};
    std::vector<OwnedHandle> handles;
    std::error_code ec;
    receive_value(b, r, handles, ec);
    CHECK(ec == std::errc::message_size);
    CHECK(handles.empty()); // the rejected message's handle was closed, not handed over
    receive_value(b, r, handles, ec);
    CHECK(ec == std::errc::message_size);
    receive_value(b, r, handles, ec);
    CHECK_FALSE(ec);
    CHECK(r.id == 7);
    CHECK(receive_value<Request>(b, ec).id == 8); // the error-code form of the value-only receive
    CHECK_FALSE(ec);
    try {
        (void)receive_value<Request>(b);
        FAIL("a 2-byte message read as a Request");
    } catch (const std::system_error& e) {
        CHECK(e.code() == std::errc::message_size);
        CHECK(std::string(e.what()).find("receive_value") != std::string::npos);
    }
    a = LocalSeqpacket();
    receive_value(b, r, handles, ec);
    CHECK(ec == errc::end_of_stream);
}

TEST_CASE("values: a codec plugs in a serialisation of the user's own") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalSeqpacket::pair();
    GreetingCodec out_codec, in_codec;
    OwnedHandle file = testing::file_with("with the greeting");
    send_encoded(a, out_codec, Greeting{"hello there", 3}, {file.borrow()});
    Greeting g;
    std::vector<OwnedHandle> handles;
    receive_decoded(b, in_codec, g, handles);
    CHECK(g.text == "hello there");
    CHECK(g.count == 3);
    REQUIRE(handles.size() == 1);
    CHECK(testing::read_whole_file(handles[0]) == "with the greeting");
    handles.clear();

    std::error_code ec;
    a.send("no colon", {file.borrow()});
    receive_decoded(b, in_codec, g, handles, ec);
    CHECK(ec == errc::protocol_error);
    CHECK(handles.empty()); // the rejected message's handle was closed
    a.send(std::string(100, '1') + ":too long for the codec's buffer");
    receive_decoded(b, in_codec, g, handles, ec);
    CHECK(ec == std::errc::message_size);
    LocalSeqpacket closed;
    CHECK_THROWS_AS(send_encoded(closed, out_codec, Greeting{"x", 1}), std::system_error);
}

} // TEST_SUITE
