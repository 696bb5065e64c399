// POSIX datagram sockets: bound, unbound and autobound sockets, sender names,
// connected mode, handles per datagram between processes, truncation.
#include <doctest/doctest.h>

#include "../support/process.hpp"
#include "../support/resources.hpp"

#include <localsock/localsock.hpp>

#include <array>
#include <string>

#include <sys/socket.h>

using namespace localsock;

namespace {
std::string text(const std::array<char, 64>& data, const ReceiveResult& r) { return std::string(data.data(), r.bytes); }
} // namespace

// Child: bind to args[1] and send to the parent's socket args[0] a datagram
// with a file; wait for the answer that comes back to args[1].
CHILD_ROLE(datagram_peer) {
    const LocalSocketName parent = LocalSocketName::parse(args.at(0));
    LocalDatagram socket = LocalDatagram::bind(LocalSocketName::parse(args.at(1)));
    OwnedHandle file = testing::file_with("sent by datagram");
    socket.send_to(parent, "with a file", {file.borrow()});
    std::array<char, 64> data{};
    LocalSocketName from;
    const ReceiveResult r = socket.receive_from(buffer(data), from);
    CHILD_REQUIRE(from == parent);
    CHILD_REQUIRE(std::string(data.data(), r.bytes) == "answer");
    return 0;
}

TEST_SUITE("ipc") {

TEST_CASE("datagram: two processes, sender names and a file per datagram") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName mine = testing::unique_namespaced_name("dgram-parent");
    const LocalSocketName theirs = testing::unique_namespaced_name("dgram-child");
    LocalDatagram socket = LocalDatagram::bind(mine);
    CHECK(socket.local_name() == mine);
    auto child = testing::ChildProcess::spawn("datagram_peer", {mine.to_string(), theirs.to_string()});

    std::array<char, 64> data{};
    LocalSocketName from;
    std::vector<OwnedHandle> handles;
    const ReceiveResult r = socket.receive_from(buffer(data), from, handles);
    CHECK(text(data, r) == "with a file");
    CHECK(from == theirs);
    REQUIRE(handles.size() == 1);
    CHECK_FALSE(testing::is_inheritable(handles[0]));
    CHECK(testing::read_whole_file(handles[0]) == "sent by datagram");
    handles.clear();
    socket.send_to(from, "answer");
    CHECK(child.wait() == 0);
}

TEST_CASE("datagram: unbound and autobound senders") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("dgram-server");
    LocalDatagram server = LocalDatagram::bind(name);
    std::array<char, 64> data{};
    LocalSocketName from = LocalSocketName::namespaced("stale");

    LocalDatagram anonymous = LocalDatagram::unbound();
    CHECK(anonymous.local_name().empty());
    anonymous.send_to(name, "who am I");
    ReceiveResult r = server.receive_from(buffer(data), from);
    CHECK(text(data, r) == "who am I");
    CHECK(from.empty()); // nobody to answer

    LocalDatagram autobound = LocalDatagram::autobind();
    CHECK(autobound.local_name().is_namespaced());
    CHECK(autobound.local_name().value().size() == 5); // Linux: five hex digits
    autobound.send_to(name, "answer me");
    r = server.receive_from(buffer(data), from);
    CHECK(text(data, r) == "answer me");
    CHECK(from == autobound.local_name());
    server.send_to(from, "answered");
    r = autobound.receive(buffer(data));
    CHECK(text(data, r) == "answered");
}

TEST_CASE("datagram: connected mode, empty datagrams, truncation with the real size") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName a_name = testing::unique_namespaced_name("dgram-a");
    const LocalSocketName b_name = testing::unique_namespaced_name("dgram-b");
    LocalDatagram a = LocalDatagram::bind(a_name);
    LocalDatagram b = LocalDatagram::bind(b_name);
    a.connect(b_name);
    CHECK(a.peer_name() == b_name);
    a.send("connected");
    a.send("");
    a.send(std::string(500, 'q'));
    const std::array<ConstBuffer, 2> parts{ConstBuffer("two "), ConstBuffer("parts")};
    a.send(parts);

    std::array<char, 64> data{};
    LocalSocketName from;
    ReceiveResult r = b.receive_from(buffer(data), from);
    CHECK(text(data, r) == "connected");
    CHECK(from == a_name);
    r = b.receive(buffer(data));
    CHECK(r.bytes == 0); // an empty datagram is a datagram
    CHECK_FALSE(r.data_truncated);
    CHECK(b.next_message_size() == 500);
    r = b.receive(buffer(data));
    CHECK(r.bytes == 64);
    CHECK(r.message_size == 500);
    CHECK(r.data_truncated);
    r = b.receive(buffer(data));
    CHECK(text(data, r) == "two parts");

    // A connected socket takes datagrams from its peer only.
    LocalDatagram stranger = LocalDatagram::unbound();
    std::error_code ec;
    stranger.send_to(a_name, "let me in", ec);
    CHECK(ec == std::errc::operation_not_permitted);
}

TEST_CASE("datagram: filesystem names get their mode and go away with the socket") {
    const testing::HandleLeakCheck leaks;
    const testing::TempDir dir;
    const LocalSocketName name = LocalSocketName::filesystem(dir / "dgram.sock");
    {
        DatagramOptions options;
        options.mode = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
        LocalDatagram socket = LocalDatagram::bind(name, options);
        CHECK(std::filesystem::status(name.value()).permissions() == *options.mode);
        LocalDatagram sender = LocalDatagram::unbound();
        sender.send_to(name, "to a file");
        std::array<char, 64> data{};
        CHECK(text(data, socket.receive(buffer(data))) == "to a file");
        std::error_code ec;
        LocalDatagram::bind(name, ec);
        CHECK(ec == std::errc::address_in_use);
    }
    CHECK_FALSE(std::filesystem::exists(name.value()));
}

TEST_CASE("datagram: pairs, adoption, limits and errors") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalDatagram::pair();
    OwnedHandle file = testing::file_with("x");
    std::array<char, 64> data{};
    std::vector<OwnedHandle> handles;
    std::error_code ec;

    b.set_max_handles_per_receive(0);
    a.send("refused", {file.borrow()});
    ReceiveResult r = b.receive(buffer(data), handles, ec);
    CHECK(ec == errc::handles_truncated);
    CHECK(r.control_truncated);
    CHECK(text(data, r) == "refused");
    CHECK(handles.empty());

    b.set_nonblocking(true);
    (void)b.receive(buffer(data), ec);
    CHECK(ec == std::errc::operation_would_block);

    LocalDatagram adopted = LocalDatagram::adopt(b.release());
    CHECK(adopted.is_open());
    a.send("to the adopter");
    adopted.set_nonblocking(false);
    CHECK(text(data, adopted.receive(buffer(data))) == "to the adopter");

    auto [s1, s2] = LocalSeqpacket::pair();
    LocalDatagram wrong = LocalDatagram::adopt(s1.release(), ec);
    CHECK(ec == errc::wrong_socket_type);
    CHECK_FALSE(wrong.is_open());

    a.send_to(LocalSocketName(), "nowhere", ec);
    CHECK(ec == errc::empty_name);
    const LocalSocketName nobody = testing::unique_namespaced_name("dgram-nobody");
    LocalDatagram lonely = LocalDatagram::unbound();
    try {
        lonely.send_to(nobody, "anyone?");
        FAIL("sent to nobody");
    } catch (const std::system_error& e) {
        CHECK(e.code() == std::errc::connection_refused);
        CHECK(std::string(e.what()).find(nobody.to_string()) != std::string::npos);
    }
}

} // TEST_SUITE
