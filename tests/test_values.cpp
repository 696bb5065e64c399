// Whole values as messages: trivially copyable structs with handles, and a
// user codec, over sequenced-packet connections (every OS).
#include <doctest/doctest.h>

#include "support/process.hpp"
#include "support/resources.hpp"

#include <localsock/localsock.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <string>

using namespace localsock;

namespace {

struct Request {
    std::uint32_t id;
    std::uint32_t flags; // explicit: no padding before `amount`
    double amount;
    char tag[8];
};

// README's example before issue 9: 4 bytes of padding after `id` carried
// the sender's stack to the peer.
struct Padded {
    std::uint32_t id;
    double amount;
};
// The same, vouched for as a whole or listed wrongly: still refused.
struct PaddedVouched {
    std::uint32_t id;
    double amount;
};
struct PaddedListed {
    std::uint32_t id;
    double amount;
};
// No padding, but a bool inside that a peer could set to 2.
struct WithBool {
    std::uint32_t id;
    bool urgent;
    std::uint8_t spare[3];
};
// Listed in an order that cannot be its layout (a uint32_t at offset 1).
struct Misdescribed {
    std::uint32_t id;
    bool urgent;
    std::uint8_t spare[3];
};
struct WithBoolListed {
    std::uint32_t id;
    bool urgent;
    std::uint8_t spare[3];
};
enum class Colour : std::uint8_t { red, green, blue };
enum class Level : std::uint8_t { low, high };
struct WithEnumListed {
    std::uint32_t id;
    Colour colour;
    std::uint8_t spare[3];
};

} // namespace

template <>
struct localsock::wire_safe<Request> : localsock::wire_fields<std::uint32_t, std::uint32_t, double, char[8]> {};
template <>
struct localsock::wire_safe<PaddedVouched> : std::true_type {};
template <>
struct localsock::wire_safe<PaddedListed> : localsock::wire_fields<std::uint32_t, double> {};
template <>
struct localsock::wire_safe<Misdescribed> : localsock::wire_fields<bool, std::uint32_t, std::uint8_t[3]> {};
template <>
struct localsock::wire_safe<WithBoolListed> : localsock::wire_fields<std::uint32_t, bool, std::uint8_t[3]> {};
template <>
struct localsock::wire_safe<WithEnumListed> : localsock::wire_fields<std::uint32_t, Colour, std::uint8_t[3]> {};
template <>
struct localsock::wire_safe<Level> : std::true_type {
    static bool validate(std::span<const std::byte, sizeof(Level)> bytes) noexcept {
        return std::to_integer<unsigned>(bytes[0]) <= static_cast<unsigned>(Level::high);
    }
};

namespace {

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

// Issue 9: padding must not travel, and a received value must be one its
// type can hold.
static_assert(!can_send_value<Padded> && !can_receive_value<Padded>);             // padding, no opt-in
static_assert(!can_send_value<PaddedVouched> && !can_receive_value<PaddedVouched>); // vouching hides no padding
static_assert(!can_send_value<PaddedListed> && !can_receive_value<PaddedListed>);   // listed sizes: 12 != 16
static_assert(!can_send_value<WithBool> && !can_receive_value<WithBool>);         // a bool inside, unlisted
static_assert(!can_send_value<Colour> && !can_receive_value<Colour>);             // an enum's range is unknown
static_assert(!can_send_value<WithEnumListed>);                                    // ...inside a struct too
static_assert(!can_send_value<Misdescribed>);                                      // a list T cannot be laid out as
static_assert(!can_send_value<long double>);                                       // x87: 6 bytes of padding
static_assert(!can_send_value<std::array<int, 4>>);                                // a class: opt in (or int[4])
static_assert(can_send_value<WithBoolListed> && can_receive_value<WithBoolListed>); // bool checked on receipt
static_assert(can_send_value<Level> && can_receive_value<Level>);                 // validate() checks it
static_assert(can_send_value<bool> && can_send_value<double> && can_send_value<std::int64_t>);
static_assert(can_send_value<int[4]> && can_receive_value<std::byte[16]>);
static_assert(WireValue<Request> && !WireValue<Padded>);

// Bytes that stood in memory before an object was built there: what padding
// would carry.
constexpr char secret[] = "TOP-SECRET-KEY!";

// A T built where `secret` was written (placement-new, members assigned one
// by one): the bytes no member covers still hold the secret.
template <class T, class Fill>
void with_planted_secret(Fill&& fill_members) {
    alignas(T) unsigned char storage[sizeof(T)];
    for (std::size_t i = 0; i < sizeof storage; ++i)
        storage[i] = static_cast<unsigned char>(secret[i % (sizeof secret - 1)]);
    T* value = new (storage) T;
    fill_members(*value);
}

bool holds_secret_piece(const std::string& bytes) { return bytes.find("SECR") != std::string::npos ||
                                                           bytes.find("-KEY") != std::string::npos ||
                                                           bytes.find("TOP-") != std::string::npos; }

} // namespace

// Child: connect to args[0]; send a Request built over a planted secret with
// send_value, then the same bytes a padded struct would have sent (what
// send_value did before), so the parent can see its check is able to fail.
CHILD_ROLE(value_secret_sender) {
    LocalSeqpacket socket = LocalSeqpacket::connect(LocalSocketName::parse(args.at(0)));
    with_planted_secret<Request>([&](Request& r) {
        r.id = 1;
        r.flags = 2;
        r.amount = 2.5;
        std::memcpy(r.tag, "tag", 4);
        std::memset(r.tag + 4, 0, 4);
        send_value(socket, r);
    });
    with_planted_secret<Padded>([&](Padded& p) {
        p.id = 1;
        p.amount = 2.5;
        socket.send(ConstBuffer(&p, sizeof p)); // the raw bytes: send_value refuses Padded
    });
    return 0;
}

// Child: connect to args[0] and send, each with a file, the bytes of values
// their types cannot hold, then one good value.
CHILD_ROLE(invalid_value_sender) {
    LocalSeqpacket socket = LocalSeqpacket::connect(LocalSocketName::parse(args.at(0)));
    OwnedHandle file = testing::file_with("rides on a hostile value");
    const BorrowedHandle lent[] = {file.borrow()};
    const unsigned char bool_two[] = {7, 0, 0, 0, 2, 0, 0, 0};   // WithBoolListed, urgent = 2
    const unsigned char level_nine[] = {9};                       // Level: low or high only
    const unsigned char bool_ff[] = {0xff};                       // bool
    const unsigned char bools[] = {1, 0, 0x80, 1};               // bool[4], the third bad
    socket.send(ConstBuffer(bool_two, sizeof bool_two), lent);
    socket.send(ConstBuffer(level_nine, sizeof level_nine), lent);
    socket.send(ConstBuffer(bool_ff, sizeof bool_ff), lent);
    socket.send(ConstBuffer(bools, sizeof bools), lent);
    send_value(socket, WithBoolListed{8, true, {}}, lent);
    std::array<char, 1> done{};
    (void)socket.receive(buffer(done)); // the parent's "done": keep the file until it checked
    return 0;
}

// Child: connect to args[0], send a Request with a file, receive one back.
CHILD_ROLE(value_sender) {
    LocalSeqpacket socket = LocalSeqpacket::connect(LocalSocketName::parse(args.at(0)));
    OwnedHandle file = testing::file_with("attached to a struct");
    Request request{42, 0, 2.5, "hello"};
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
    send_value(socket, Request{43, 0, 0, "reply"});
    CHECK(child.wait() == 0);
}

TEST_CASE("values: struct padding never carries the sender's memory to the peer") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("values-secret");
    LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name);
    auto child = testing::ChildProcess::spawn("value_secret_sender", {name.to_string()});
    LocalSeqpacket socket = listener.accept();
    std::string bytes(64, '\0');
    // Through send_value: every byte is a member, none is the secret.
    ReceiveResult r = socket.receive(buffer(bytes));
    REQUIRE(r.bytes == sizeof(Request));
    CHECK_FALSE(holds_secret_piece(bytes.substr(0, r.bytes)));
    Request request{};
    std::memcpy(&request, bytes.data(), sizeof request);
    CHECK(request.id == 1);
    CHECK(request.amount == 2.5);
    // The padded struct's raw bytes do carry it: the check above can fail,
    // and this is why send_value refuses such a type at compile time.
    std::fill(bytes.begin(), bytes.end(), '\0');
    r = socket.receive(buffer(bytes));
    REQUIRE(r.bytes == sizeof(Padded));
    CHECK(holds_secret_piece(bytes.substr(0, r.bytes)));
    CHECK(child.wait() == 0);
}

TEST_CASE("values: a peer cannot plant an invalid bool or enum; the message's handles are closed") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("values-invalid");
    LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name);
    auto child = testing::ChildProcess::spawn("invalid_value_sender", {name.to_string()});
    LocalSeqpacket socket = listener.accept();
    std::vector<OwnedHandle> handles;
    std::error_code ec;

    WithBoolListed with_bool{99, true, {1, 2, 3}};
    receive_value(socket, with_bool, handles, ec);
    CHECK(ec == errc::protocol_error);
    CHECK(handles.empty()); // the file that came with it was closed
    CHECK(with_bool.id == 0); // zeroed: no invalid bool left behind
    CHECK_FALSE(with_bool.urgent);

    Level level = Level::high;
    receive_value(socket, level, handles, ec);
    CHECK(ec == errc::protocol_error);
    CHECK(handles.empty());
    CHECK(level == Level::low);

    bool flag = true;
    receive_value(socket, flag, handles, ec);
    CHECK(ec == errc::protocol_error);
    CHECK(handles.empty());

    try {
        bool flags[4] = {};
        receive_value(socket, flags, handles);
        FAIL("bool[4] with a 0x80 accepted");
    } catch (const std::system_error& e) {
        CHECK(e.code() == errc::protocol_error);
        CHECK(std::string(e.what()) == "localsock: receive_value '" + name.to_string() +
                                           "': the peer sent a malformed localsock frame or value");
    }
    CHECK(handles.empty());

    // The connection goes on: a good value arrives with its file.
    receive_value(socket, with_bool, handles, ec);
    CHECK_FALSE(ec);
    CHECK(with_bool.id == 8);
    CHECK(with_bool.urgent);
    REQUIRE(handles.size() == 1);
    CHECK(testing::read_whole_file(handles[0]) == "rides on a hostile value");
    handles.clear();
    socket.send("done");
    CHECK(child.wait() == 0);
}

TEST_CASE("values: a message of the wrong size is an error, the connection goes on") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalSeqpacket::pair();
    OwnedHandle file = testing::file_with("with a short message");
    a.send("short", {file.borrow()});
    a.send(std::string(sizeof(Request) + 10, 'x'));
    send_value(a, Request{7, 0, 1.0, "ok"});
    send_value(a, Request{8, 0, 2.0, "alone"});
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
