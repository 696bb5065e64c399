// IPC tests: passing handles with LocalStream::send / receive (every OS).
#include <doctest/doctest.h>

#include "support/process.hpp"
#include "support/resources.hpp"
#include "support/thread.hpp"

#include <localsock/localsock.hpp>

#include <array>
#include <cstring>
#include <string>

using namespace localsock;

namespace {

std::vector<OwnedHandle> numbered_files(std::size_t count) {
    std::vector<OwnedHandle> files;
    for (std::size_t i = 0; i < count; ++i)
        files.push_back(testing::file_with("handle " + std::to_string(i)));
    return files;
}

} // namespace

// Child: connect to args[0] and send args[1] numbered files with one byte;
// wait for the parent's acknowledgement so they stay in flight while it checks.
CHILD_ROLE(send_files) {
    LocalStream stream = LocalStream::connect(LocalSocketName::parse(args.at(0)));
    const std::vector<OwnedHandle> files = numbered_files(std::stoul(args.at(1)));
    CHILD_REQUIRE(stream.send("m", files) == 1);
    char ack = 0;
    stream.read_exact(MutableBuffer(&ack, 1));
    return ack == 'k' ? 0 : 1;
}

// Child: receive a pipe's write end and a file and use both: write into the
// pipe, send back what the file holds.
CHILD_ROLE(use_pipe_and_file) {
    LocalStream stream = LocalStream::connect(LocalSocketName::parse(args.at(0)));
    std::vector<OwnedHandle> handles;
    char tag = 0;
    CHILD_REQUIRE(stream.receive(MutableBuffer(&tag, 1), handles) == 1);
    CHILD_REQUIRE(tag == 'h');
    CHILD_REQUIRE(handles.size() == 2);
    for (const OwnedHandle& h : handles)
        CHILD_REQUIRE(!testing::is_inheritable(h));
    testing::write_handle(handles[0], "written into the passed pipe");
    handles[0].reset();
    stream.write_all(testing::read_whole_file(handles[1]));
    return 0;
}

// Child: send 3 files with the first 14 bytes of a 104-byte message, then die.
CHILD_ROLE(send_and_die) {
    LocalStream stream = LocalStream::connect(LocalSocketName::parse(args.at(0)));
    const std::vector<OwnedHandle> files = numbered_files(3);
    const std::uint32_t length = 100;
    std::array<char, 14> partial{};
    std::memcpy(partial.data(), &length, sizeof length);
    std::memcpy(partial.data() + 4, "0123456789", 10);
    stream.send(buffer(partial), files);
    testing::die_abruptly();
}

TEST_SUITE("ipc") {

TEST_CASE("handles: 1, 28 and 253 handles in one message between processes") {
    const testing::HandleLeakCheck leaks;
    for (const std::size_t count : {std::size_t{1}, wayland_max_handles, max_handles_per_message}) {
        CAPTURE(count);
        const LocalSocketName name = testing::unique_namespaced_name("many");
        LocalListener listener = LocalListener::bind(name);
        auto child = testing::ChildProcess::spawn("send_files", {name.to_string(), std::to_string(count)});
        LocalStream stream = listener.accept();
        std::vector<OwnedHandle> received;
        char tag = 0;
        CHECK(stream.receive(MutableBuffer(&tag, 1), received) == 1);
        CHECK(tag == 'm');
        REQUIRE(received.size() == count);
        for (std::size_t i = 0; i < count; ++i) {
            CHECK_FALSE(testing::is_inheritable(received[i]));
            CHECK(testing::read_whole_file(received[i]) == "handle " + std::to_string(i));
        }
        received.clear();
        stream.write_all("k");
        CHECK(child.wait() == 0);
    }
}

TEST_CASE("handles: a pipe and a file are used on the other side") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("use");
    LocalListener listener = LocalListener::bind(name);
    auto child = testing::ChildProcess::spawn("use_pipe_and_file", {name.to_string()});
    LocalStream stream = listener.accept();

    auto [pipe_read, pipe_write] = testing::make_pipe();
    OwnedHandle file = testing::file_with("content of a real file");
    CHECK(stream.send("h", {pipe_write.borrow(), file.borrow()}) == 1);
    pipe_write.reset();
    file.reset();

    CHECK(testing::read_handle(pipe_read, 28) == "written into the passed pipe");
    CHECK(testing::pipe_at_end(pipe_read)); // the child's copy was closed too
    std::string from_file(22, '\0');
    stream.read_exact(buffer(from_file));
    CHECK(from_file == "content of a real file");
    CHECK(child.wait() == 0);
}

TEST_CASE("handles: more than the limit arrive — data delivered, all closed, stream usable") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    std::vector<OwnedHandle> received;
    std::array<char, 8> data{};

    SUBCASE("far more than the limit (a truncated control buffer on POSIX)") {
        b.set_max_handles_per_receive(4);
        a.send("ten", numbered_files(40)); // more than the buffer for 4 (+ its spare room) holds
    }
    SUBCASE("one more than the limit (they fit the rounded-up buffer on POSIX)") {
        b.set_max_handles_per_receive(1);
        a.send("two", numbered_files(2));
    }
    SUBCASE("a stream that refuses all handles") {
        b.set_max_handles_per_receive(0);
        a.send("one", numbered_files(1));
    }
    std::error_code ec;
    const std::size_t n = b.receive(buffer(data), received, ec);
    CHECK(ec == errc::handles_truncated);
    CHECK(n == 3); // the data was delivered
    CHECK(received.empty());

    // The stream goes on: the next message and its handle arrive whole.
    b.set_max_handles_per_receive(max_handles_per_message);
    a.send("next", numbered_files(1));
    CHECK(b.receive(buffer(data), received) == 4);
    CHECK(std::string(data.data(), 4) == "next");
    REQUIRE(received.size() == 1);
    CHECK(testing::read_whole_file(received[0]) == "handle 0");
}

TEST_CASE("handles: the throwing receive reports truncation with the byte count") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    b.set_max_handles_per_receive(wayland_max_handles);
    a.send("over", numbered_files(wayland_max_handles + 1));
    std::vector<OwnedHandle> received;
    std::array<char, 4> data{};
    try {
        b.receive(buffer(data), received);
        FAIL("receive did not throw");
    } catch (const HandlesTruncatedError& e) {
        CHECK(e.bytes_received() == 4);
        CHECK(e.code() == errc::handles_truncated);
    }
    CHECK(received.empty());
    CHECK(std::string(data.data(), 4) == "over");
}

TEST_CASE("handles: bad requests are refused before anything is sent") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    const std::vector<OwnedHandle> files = numbered_files(1);
    std::error_code ec;
    CHECK(a.send("", files, ec) == 0);
    CHECK(ec == errc::handles_need_data);
    CHECK_THROWS_AS(a.send(ConstBuffer(), files), std::system_error);

    std::vector<BorrowedHandle> too_many(max_handles_per_message + 1, files[0].borrow());
    CHECK(a.send("x", too_many, ec) == 0);
    CHECK(ec == errc::too_many_handles);
    CHECK_THROWS_AS(b.set_max_handles_per_receive(max_handles_per_message + 1), std::system_error);

    // Nothing reached the peer.
    b.set_nonblocking(true);
    std::vector<OwnedHandle> received;
    std::array<char, 4> data{};
    b.receive(buffer(data), received, ec);
    CHECK(ec == std::errc::operation_would_block);
}

TEST_CASE("handles: after a partial send the handles are not sent again") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    // Far more than a pipe or socket buffer: the first write is partial.
    const std::vector<char> payload(8 << 20, 'p');
    const std::vector<OwnedHandle> files = numbered_files(2);
    std::size_t sent = 0;
    testing::Thread sender([&] { sent = a.send(buffer(payload), files); });

    std::vector<OwnedHandle> received;
    std::vector<char> chunk(64 << 10);
    std::size_t total = 0, receives_with_handles = 0;
    while (total < payload.size()) {
        const std::size_t before = received.size();
        total += b.receive(buffer(chunk), received);
        receives_with_handles += received.size() > before;
    }
    sender.join();
    CHECK(sent == payload.size());
    CHECK(total == payload.size());
    CHECK(received.size() == 2);
    CHECK(receives_with_handles == 1);
}

TEST_CASE("handles: a peer that dies mid-message leaves nothing behind") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("send-die");
    LocalListener listener = LocalListener::bind(name);
    auto child = testing::ChildProcess::spawn("send_and_die", {name.to_string()});
    LocalStream stream = listener.accept();
    CHECK(child.wait() == testing::abrupt_exit_status);

    SUBCASE("the handles that arrived are delivered; the rest is end_of_stream") {
        std::vector<OwnedHandle> received;
        std::uint32_t length = 0;
        CHECK(stream.receive(MutableBuffer(&length, sizeof length), received) == 4);
        CHECK(length == 100);
        CHECK(received.size() == 3);
        std::vector<char> body(length);
        std::error_code ec;
        CHECK(stream.read_exact(buffer(body), ec) == 10);
        CHECK(ec == errc::end_of_stream);
    }
    SUBCASE("bytes read without taking the handles: the handles are released") {
        std::array<char, 14> bytes{};
        CHECK(stream.read_some(buffer(bytes)) == 14);
    }
    SUBCASE("never read at all: closing the stream releases them") {
        stream = LocalStream();
    }
}

TEST_CASE("handles: a stream closed with unread handles in flight leaks nothing") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    a.send("unread", numbered_files(5));
    a.send("again", numbered_files(2));
    b = LocalStream();
    a = LocalStream();
}

TEST_CASE("handles: with handle_passing off, a stream carries bytes only") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("plain");
    LocalListener listener = LocalListener::bind(name, {.handle_passing = false});
    LocalStream client = LocalStream::connect(name, {.handle_passing = false});
    LocalStream server = listener.accept();
    const std::vector<OwnedHandle> files = numbered_files(1);
    std::error_code ec;
    CHECK(client.send("x", files, ec) == 0);
    CHECK(ec == errc::handle_passing_disabled);
    CHECK(ec == std::errc::operation_not_supported);
    client.write_all("plain bytes");
    std::string text(11, '\0');
    server.read_exact(buffer(text));
    CHECK(text == "plain bytes");
}

} // TEST_SUITE
