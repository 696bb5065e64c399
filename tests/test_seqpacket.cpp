// IPC tests: sequenced-packet connections (SOCK_SEQPACKET on POSIX,
// message-mode named pipes on Windows) — message boundaries, handles per
// message, truncation of data and of handles, end of stream, errors.
#include <doctest/doctest.h>

#include "support/process.hpp"
#include "support/resources.hpp"
#include "support/thread.hpp"

#include <localsock/localsock.hpp>

#include <array>
#include <string>

using namespace localsock;

namespace {

std::string text(const std::array<char, 64>& data, const ReceiveResult& result) {
    return std::string(data.data(), result.bytes);
}

} // namespace

// Child: connect to args[0]; send "one" with a file, "two two" with a pipe's
// write end and a file, then a 300-byte message; wait for "bye" and answer it.
CHILD_ROLE(seqpacket_sender) {
    LocalSeqpacket socket = LocalSeqpacket::connect(LocalSocketName::parse(args.at(0)));
    OwnedHandle file = testing::file_with("first file");
    socket.send("one", {file.borrow()});
    std::vector<OwnedHandle> received;
    std::array<char, 16> data{};
    // The parent sends a pipe's write end back; write into it.
    const ReceiveResult r = socket.receive(buffer(data), received);
    CHILD_REQUIRE(r.bytes == 4 && received.size() == 1);
    testing::write_handle(received[0], "child wrote this");
    received.clear();
    OwnedHandle second = testing::file_with("second file");
    socket.send("two two", {second.borrow(), file.borrow()});
    socket.send(std::string(300, 'x'));
    const ReceiveResult bye = socket.receive(buffer(data));
    CHILD_REQUIRE(std::string(data.data(), bye.bytes) == "bye");
    socket.send("ciao");
    return 0;
}

// Child: connect, send a message with two files, and die without closing.
CHILD_ROLE(seqpacket_send_and_die) {
    LocalSeqpacket socket = LocalSeqpacket::connect(LocalSocketName::parse(args.at(0)));
    OwnedHandle a = testing::file_with("a");
    OwnedHandle b = testing::file_with("b");
    socket.send("last words", {a.borrow(), b.borrow()});
    testing::die_abruptly();
}

TEST_SUITE("ipc") {

TEST_CASE("seqpacket: messages keep their boundaries, gathered and scattered") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalSeqpacket::pair();
    a.send("first");
    a.send(std::string(1000, 'y'));
    const std::array<ConstBuffer, 3> parts{ConstBuffer("ga"), ConstBuffer("th"), ConstBuffer("er")};
    a.send(parts);
    a.send("z");

    std::array<char, 64> data{};
    std::vector<OwnedHandle> handles;
    ReceiveResult r = b.receive(buffer(data));
    CHECK(text(data, r) == "first");
    CHECK(r.message_size == 5);
    CHECK_FALSE(r.data_truncated);
    std::string big(2000, '\0');
    r = b.receive(buffer(big));
    CHECK(r.bytes == 1000);
    CHECK(big.substr(0, 1000) == std::string(1000, 'y'));
    std::array<char, 2> head{};
    std::array<char, 8> tail{};
    const std::array<MutableBuffer, 2> scatter{buffer(head), buffer(tail)};
    r = b.receive(scatter, handles);
    CHECK(r.bytes == 6);
    CHECK(std::string(head.data(), 2) + std::string(tail.data(), 4) == "gather");
    r = b.receive(buffer(data));
    CHECK(text(data, r) == "z");
}

TEST_CASE("seqpacket: two processes pass files and pipes with messages") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("seqpacket");
    LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name);
    auto child = testing::ChildProcess::spawn("seqpacket_sender", {name.to_string()});
    LocalSeqpacket socket = listener.accept();
    CHECK(socket.name() == name);
    CHECK(socket.peer_credentials().pid == child.pid());

    std::array<char, 64> data{};
    std::vector<OwnedHandle> handles;
    ReceiveResult r = socket.receive(buffer(data), handles);
    CHECK(text(data, r) == "one");
    REQUIRE(handles.size() == 1);
    CHECK_FALSE(testing::is_inheritable(handles[0]));
    CHECK(testing::read_whole_file(handles[0]) == "first file");
    handles.clear();

    auto [pipe_read, pipe_write] = testing::make_pipe();
    socket.send("pipe", {pipe_write.borrow()});
    pipe_write.reset();
    CHECK(testing::read_handle(pipe_read, 16) == "child wrote this");
    CHECK(testing::pipe_at_end(pipe_read));

    r = socket.receive(buffer(data), handles);
    CHECK(text(data, r) == "two two");
    REQUIRE(handles.size() == 2);
    CHECK(testing::read_whole_file(handles[0]) == "second file");
    CHECK(testing::read_whole_file(handles[1]) == "first file");
    handles.clear();

    CHECK(socket.next_message_size() == 300);
    r = socket.receive(buffer(data));
    CHECK(r.bytes == 64);
    CHECK(r.message_size == 300);
    CHECK(r.data_truncated); // the rest of it is gone, the next message is whole
    socket.send("bye");
    r = socket.receive(buffer(data));
    CHECK(text(data, r) == "ciao");
    CHECK_FALSE(r.data_truncated);
    r = socket.receive(buffer(data));
    CHECK(r.bytes == 0); // the child closed
    CHECK(child.wait() == 0);
}

TEST_CASE("seqpacket: a peer that dies after sending leaves a whole message and no leak") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("seqdie");
    LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name);
    auto child = testing::ChildProcess::spawn("seqpacket_send_and_die", {name.to_string()});
    LocalSeqpacket socket = listener.accept();
    CHECK(child.wait() == testing::abrupt_exit_status);
    std::array<char, 64> data{};
    std::vector<OwnedHandle> handles;
    ReceiveResult r = socket.receive(buffer(data), handles);
    CHECK(text(data, r) == "last words");
    REQUIRE(handles.size() == 2);
    CHECK(testing::read_whole_file(handles[0]) == "a");
    CHECK(testing::read_whole_file(handles[1]) == "b");
    handles.clear();
    r = socket.receive(buffer(data), handles);
    CHECK(r.bytes == 0);
}

TEST_CASE("seqpacket: more handles than accepted — data delivered, all closed, connection usable") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalSeqpacket::pair();
    std::vector<OwnedHandle> files;
    for (int i = 0; i < 3; ++i)
        files.push_back(testing::file_with("f"));
    std::array<char, 64> data{};
    std::vector<OwnedHandle> handles;
    std::error_code ec;

    SUBCASE("over the limit") {
        b.set_max_handles_per_receive(1);
        a.send("three", files);
        const ReceiveResult r = b.receive(buffer(data), handles, ec);
        CHECK(ec == errc::handles_truncated);
        CHECK(r.control_truncated);
        CHECK_FALSE(r.data_truncated);
        CHECK(text(data, r) == "three");
    }
    SUBCASE("the form that accepts none") {
        a.send("three", files);
        const ReceiveResult r = b.receive(buffer(data), ec);
        CHECK(ec == errc::handles_truncated);
        CHECK(r.control_truncated);
        CHECK(text(data, r) == "three");
    }
    SUBCASE("the throwing form reports the bytes") {
        b.set_max_handles_per_receive(0);
        a.send("three", files);
        try {
            (void)b.receive(buffer(data), handles);
            FAIL("no exception");
        } catch (const HandlesTruncatedError& e) {
            CHECK(e.bytes_received() == 5);
            CHECK(e.code() == errc::handles_truncated);
        }
    }
    CHECK(handles.empty());
    b.set_max_handles_per_receive(max_handles_per_message);
    a.send("next", {files[0].borrow()});
    const ReceiveResult r = b.receive(buffer(data), handles);
    CHECK(text(data, r) == "next");
    CHECK(handles.size() == 1);
}

TEST_CASE("seqpacket: errors are clear and lose nothing") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalSeqpacket::pair();
    std::error_code ec;
    a.send("", ec);
    CHECK(ec == errc::empty_message);
    CHECK(ec == std::errc::invalid_argument);

    std::vector<OwnedHandle> many;
    for (std::size_t i = 0; i <= max_handles_per_message; ++i)
        many.push_back(OwnedHandle());
    a.send("x", many, ec);
    CHECK(ec == errc::too_many_handles);

    std::array<char, 8> data{};
    b.set_nonblocking(true);
    (void)b.receive(buffer(data), ec);
    CHECK(ec == std::errc::operation_would_block);
    b.set_nonblocking(false);
    b.set_read_timeout(std::chrono::milliseconds(50));
    (void)b.receive(buffer(data), ec);
    CHECK(ec == std::errc::timed_out);

    const LocalSocketName nobody = testing::unique_namespaced_name("nobody");
    try {
        (void)LocalSeqpacket::connect(nobody);
        FAIL("connected to nobody");
    } catch (const std::system_error& e) {
        CHECK(std::string(e.what()).find(nobody.to_string()) != std::string::npos);
    }
    LocalSeqpacket closed;
    (void)closed.receive(buffer(data), ec);
    CHECK(ec == std::errc::bad_file_descriptor);
}

TEST_CASE("seqpacket: a listener accepts several clients, each its own connection") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("seqmany");
    LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name);
    CHECK(listener.local_name() == name);
    LocalSeqpacket c1 = LocalSeqpacket::connect(name);
    LocalSeqpacket c2 = LocalSeqpacket::connect(name);
    LocalSeqpacket s1 = listener.accept();
    LocalSeqpacket s2 = listener.accept();
    c1.send("from one");
    c2.send("from two");
    std::array<char, 64> data{};
    CHECK(text(data, s1.receive(buffer(data))) == "from one");
    CHECK(text(data, s2.receive(buffer(data))) == "from two");
    listener.set_nonblocking(true);
    std::error_code ec;
    (void)listener.accept(ec);
    CHECK(ec == std::errc::operation_would_block);
}

} // TEST_SUITE
