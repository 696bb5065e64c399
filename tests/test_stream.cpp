// IPC tests: LocalStream byte I/O between real processes and threads.
#include <doctest/doctest.h>

#include "support/process.hpp"
#include "support/resources.hpp"

#include <localsock/localsock.hpp>

#include <array>
#include <chrono>
#include <csignal>
#include <string>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

using namespace localsock;
using namespace std::chrono_literals;

// Child: connect to args[0], send args[1], read the echo, check it.
CHILD_ROLE(echo_client) {
    LocalStream stream = LocalStream::connect(LocalSocketName::parse(args.at(0)));
    const std::string& message = args.at(1);
    stream.write_all(message);
    std::string echo(message.size(), '\0');
    stream.read_exact(buffer(echo));
    CHILD_REQUIRE(echo == message);
    return 0;
}

// Child: connect to args[0], announce a 100-byte message, send 10 bytes of it,
// then die by SIGKILL in the middle of the message.
CHILD_ROLE(die_mid_message) {
    LocalStream stream = LocalStream::connect(LocalSocketName::parse(args.at(0)));
    const std::uint32_t length = 100;
    stream.write_all(ConstBuffer(&length, sizeof length));
    stream.write_all("0123456789");
    ::raise(SIGKILL);
    return 1;
}

// Child: connect to args[0] and report its own view of the peer (the parent).
CHILD_ROLE(report_credentials) {
    if (args.size() > 1 && ::getuid() == 0)
        CHILD_REQUIRE(::setgid(65534) == 0 && ::setuid(65534) == 0);
    LocalStream stream = LocalStream::connect(LocalSocketName::parse(args.at(0)));
    const PeerCredentials server = stream.peer_credentials();
    CHILD_REQUIRE(server.pid && *server.pid == ::getppid());
    stream.write_all("k");
    char done = 0;
    stream.read_exact(MutableBuffer(&done, 1));
    return 0;
}

namespace {

void serve_echo_once(LocalListener& listener) {
    LocalStream client = listener.accept();
    std::array<char, 4096> data{};
    for (;;) {
        const std::size_t n = client.read_some(buffer(data));
        if (n == 0)
            return;
        client.write_all(ConstBuffer(data.data(), n));
    }
}

void echo_round_trip_with_child(const LocalSocketName& name) {
    LocalListener listener = LocalListener::bind(name);
    CHECK(listener.local_name() == name);
    auto child = testing::ChildProcess::spawn("echo_client", {name.to_string(), "hello through " + name.to_string()});
    serve_echo_once(listener);
    CHECK(child.wait() == 0);
}

} // namespace

TEST_SUITE("ipc") {

TEST_CASE("stream: echo with a child process over a namespaced name") {
    const testing::DescriptorLeakCheck leaks;
    echo_round_trip_with_child(testing::unique_namespaced_name("echo"));
}

TEST_CASE("stream: echo with a child process over a filesystem name") {
    const testing::DescriptorLeakCheck leaks;
    const testing::TempDir dir;
    echo_round_trip_with_child(LocalSocketName::filesystem(dir / "echo.sock"));
}

TEST_CASE("stream: pair carries bytes both ways, vectored too") {
    const testing::DescriptorLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    CHECK(a.name().empty());

    std::thread writer([&a] {
        const std::string head = "head:", body = "body-", tail = "tail";
        const std::array<ConstBuffer, 4> parts{ConstBuffer(head), ConstBuffer(), ConstBuffer(body), ConstBuffer(tail)};
        a.write_all(parts);
    });
    std::array<char, 5> first{};
    std::array<char, 9> second{};
    const std::array<MutableBuffer, 2> into{buffer(first), buffer(second)};
    b.read_exact(into);
    writer.join();
    CHECK(std::string(first.data(), first.size()) == "head:");
    CHECK(std::string(second.data(), second.size()) == "body-tail");

    b.write_all("back");
    std::array<char, 4> back{};
    CHECK(a.read_some(buffer(back)) == 4);
    CHECK(std::string(back.data(), 4) == "back");
}

TEST_CASE("stream: a large transfer arrives intact through write_all/read_exact") {
    const testing::DescriptorLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    std::vector<std::uint8_t> sent(8 << 20);
    for (std::size_t i = 0; i < sent.size(); ++i)
        sent[i] = static_cast<std::uint8_t>(i * 7 + (i >> 12));
    std::thread writer([&] { a.write_all(buffer(std::as_const(sent))); });
    std::vector<std::uint8_t> received(sent.size());
    b.read_exact(buffer(received));
    writer.join();
    CHECK(received == sent);
}

TEST_CASE("stream: connect failures name the socket") {
    const testing::DescriptorLeakCheck leaks;
    const testing::TempDir dir;
    std::error_code ec;
    const LocalStream missing = LocalStream::connect(LocalSocketName::filesystem(dir / "nobody.sock"), ec);
    CHECK_FALSE(missing.is_open());
    CHECK(ec == std::errc::no_such_file_or_directory);

    const LocalSocketName unbound = testing::unique_namespaced_name("unbound");
    LocalStream::connect(unbound, ec);
    CHECK(ec == std::errc::connection_refused);
    try {
        LocalStream::connect(unbound);
        FAIL("connect did not throw");
    } catch (const std::system_error& e) {
        CHECK(e.code() == std::errc::connection_refused);
        const std::string what = e.what();
        CHECK(what.find("connect") != std::string::npos);
        CHECK(what.find(unbound.to_string()) != std::string::npos);
    }
}

TEST_CASE("stream: shutdown(write) ends the peer's reads while the other way still works") {
    const testing::DescriptorLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    a.write_all("last words");
    a.shutdown(Shutdown::write);
    std::array<char, 32> data{};
    CHECK(b.read_some(buffer(data)) == 10);
    CHECK(b.read_some(buffer(data)) == 0); // end of stream
    b.write_all("still open");
    CHECK(a.read_some(buffer(data)) == 10);

    std::error_code ec;
    a.write_all("more", ec);
    CHECK(ec == std::errc::broken_pipe);
}

TEST_CASE("stream: read and write timeouts expire with timed_out") {
    const testing::DescriptorLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    std::array<char, 16> data{};

    a.set_read_timeout(60ms);
    const auto start = std::chrono::steady_clock::now();
    std::error_code ec;
    CHECK(a.read_some(buffer(data), ec) == 0);
    CHECK(ec == std::errc::timed_out);
    CHECK(std::chrono::steady_clock::now() - start >= 50ms);
    CHECK_THROWS_AS(a.read_some(buffer(data)), std::system_error);

    b.write_all("x");
    CHECK(a.read_some(buffer(data)) == 1); // the stream is fine after a timeout

    a.set_write_timeout(60ms);
    const std::vector<char> big(64 << 20);
    const std::size_t written = a.write_all(buffer(big), ec);
    CHECK(ec == std::errc::timed_out);
    CHECK(written > 0);
    CHECK(written < big.size());

    a.set_read_timeout(0ms); // back to waiting forever
    CHECK_THROWS_AS(a.set_read_timeout(-1ms), std::system_error);
}

TEST_CASE("stream: non-blocking mode reports would_block") {
    const testing::DescriptorLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    a.set_nonblocking(true);
    std::array<char, 16> data{};
    std::error_code ec;
    CHECK(a.read_some(buffer(data), ec) == 0);
    CHECK(ec == std::errc::operation_would_block);

    const std::vector<char> chunk(1 << 16);
    std::size_t total = 0;
    for (;;) {
        const std::size_t n = a.write_some(buffer(chunk), ec);
        total += n;
        if (ec)
            break;
    }
    CHECK(ec == std::errc::operation_would_block);
    CHECK(total > 0);

    a.set_nonblocking(false);
    b.write_all("y");
    CHECK(a.read_some(buffer(data)) == 1);
}

TEST_CASE("stream: writing to a closed peer is EPIPE, with SIGPIPE left at its default") {
    const testing::DescriptorLeakCheck leaks;
    struct sigaction current {};
    REQUIRE(::sigaction(SIGPIPE, nullptr, &current) == 0);
    const bool default_at_start = current.sa_handler == SIG_DFL;
    REQUIRE(default_at_start); // otherwise this test proves nothing

    auto [a, b] = LocalStream::pair();
    b = LocalStream();
    std::error_code ec;
    const std::vector<char> data(1 << 20);
    a.write_all(buffer(data), ec);
    CHECK(ec == std::errc::broken_pipe);
    CHECK_THROWS_AS(a.write_all("again"), std::system_error);
    a.send("x", std::span<const BorrowedHandle>(), ec);
    CHECK(ec == std::errc::broken_pipe);

    REQUIRE(::sigaction(SIGPIPE, nullptr, &current) == 0);
    const bool default_at_end = current.sa_handler == SIG_DFL;
    CHECK(default_at_end); // the library did not touch it
}

TEST_CASE("stream: a peer that dies mid-message gives end_of_stream, not a hang") {
    const testing::DescriptorLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("dies");
    LocalListener listener = LocalListener::bind(name);
    auto child = testing::ChildProcess::spawn("die_mid_message", {name.to_string()});
    LocalStream stream = listener.accept();
    std::uint32_t length = 0;
    stream.read_exact(MutableBuffer(&length, sizeof length));
    REQUIRE(length == 100);
    std::vector<char> body(length);
    std::error_code ec;
    const std::size_t got = stream.read_exact(buffer(body), ec);
    CHECK(ec == errc::end_of_stream);
    CHECK(got == 10);
    CHECK(std::string(body.data(), got) == "0123456789");
    CHECK(child.wait() == 128 + SIGKILL);
    CHECK_THROWS_AS(stream.read_exact(buffer(body)), std::system_error);
}

TEST_CASE("stream: peer credentials name the real peer process") {
    const testing::DescriptorLeakCheck leaks;
    SUBCASE("a pair is its own peer") {
        auto [a, b] = LocalStream::pair();
        const PeerCredentials peer = a.peer_credentials();
        CHECK(peer.pid == ::getpid());
        CHECK(peer.uid == ::getuid());
        CHECK(peer.gid == ::getgid());
    }
    SUBCASE("a child process, both ways") {
        const LocalSocketName name = testing::unique_namespaced_name("creds");
        LocalListener listener = LocalListener::bind(name);
        auto child = testing::ChildProcess::spawn("report_credentials", {name.to_string()});
        LocalStream client = listener.accept();
        char ready = 0;
        client.read_exact(MutableBuffer(&ready, 1));
        const PeerCredentials peer = client.peer_credentials();
        CHECK(peer.pid == child.pid());
        CHECK(peer.uid == ::getuid());
        client.write_all("d");
        CHECK(child.wait() == 0);
    }
    if (::getuid() == 0) {
        SUBCASE("a child that changed its uid before connecting") {
            const LocalSocketName name = testing::unique_namespaced_name("creds-uid");
            LocalListener listener = LocalListener::bind(name);
            auto child = testing::ChildProcess::spawn("report_credentials", {name.to_string(), "drop"});
            LocalStream client = listener.accept();
            char ready = 0;
            client.read_exact(MutableBuffer(&ready, 1));
            const PeerCredentials peer = client.peer_credentials();
            CHECK(peer.pid == child.pid());
            CHECK(peer.uid == 65534u);
            CHECK(peer.gid == 65534u);
            client.write_all("d");
            CHECK(child.wait() == 0);
        }
    }
}

TEST_CASE("stream: adopt takes over a connected socket and refuses anything else") {
    const testing::DescriptorLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    LocalStream adopted = LocalStream::adopt(a.release());
    CHECK_FALSE(a.is_open());
    adopted.write_all("via adopted");
    std::array<char, 11> data{};
    b.read_exact(buffer(data));
    CHECK(std::string(data.data(), data.size()) == "via adopted");

    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    OwnedHandle read_end(fds[0]), write_end(fds[1]);
    std::error_code ec;
    const LocalStream not_socket = LocalStream::adopt(std::move(read_end), ec);
    CHECK(ec == errc::not_a_local_stream);
    CHECK(ec == std::errc::invalid_argument);
    CHECK_FALSE(not_socket.is_open()); // and the pipe end was closed, not leaked
}

TEST_CASE("stream: operations on a closed stream fail cleanly") {
    LocalStream closed;
    std::error_code ec;
    std::array<char, 4> data{};
    CHECK(closed.read_some(buffer(data), ec) == 0);
    CHECK(ec == std::errc::bad_file_descriptor);
    CHECK_THROWS_AS(closed.write_all("x"), std::system_error);
    CHECK(closed.native_handle() == invalid_native_handle);
    CHECK_FALSE(closed.release().valid());
}

} // TEST_SUITE
