// IPC tests: LocalStream byte I/O between real processes and threads (every OS).
#include <doctest/doctest.h>

#include "support/process.hpp"
#include "support/resources.hpp"
#include "support/thread.hpp"

#include <localsock/localsock.hpp>

#include <array>
#include <chrono>
#include <string>
#include <thread>

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
// then die abruptly in the middle of the message.
CHILD_ROLE(die_mid_message) {
    LocalStream stream = LocalStream::connect(LocalSocketName::parse(args.at(0)));
    const std::uint32_t length = 100;
    stream.write_all(ConstBuffer(&length, sizeof length));
    stream.write_all("0123456789");
    testing::die_abruptly();
}

// Child: connect to args[0]; check that the peer is the process args[1].
CHILD_ROLE(check_server_credentials) {
    LocalStream stream = LocalStream::connect(LocalSocketName::parse(args.at(0)));
    const PeerCredentials server = stream.peer_credentials();
    CHILD_REQUIRE(server.pid && *server.pid == std::stoll(args.at(1)));
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

} // namespace

TEST_SUITE("ipc") {

TEST_CASE("stream: echo with a child process over a namespaced name") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("echo");
    LocalListener listener = LocalListener::bind(name);
    CHECK(listener.local_name() == name);
    auto child = testing::ChildProcess::spawn("echo_client", {name.to_string(), "hello through " + name.to_string()});
    serve_echo_once(listener);
    CHECK(child.wait() == 0);
}

TEST_CASE("stream: pair carries bytes both ways, vectored too") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    CHECK(a.name().empty());

    testing::Thread writer([&a] {
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

TEST_CASE("stream: vectored read_exact and write_all continue after a short transfer") {
    using namespace std::chrono_literals;
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    b.set_read_timeout(10s); // a broken continuation fails instead of hanging
    SUBCASE("a read that finds only part of the data") {
        testing::Thread writer([&a] {
            a.write_all("01234");
            std::this_thread::sleep_for(50ms); // the reader's first read sees 5 bytes
            a.write_all("56789abcd");
        });
        std::array<char, 3> first{};
        std::array<char, 11> second{};
        const std::array<MutableBuffer, 2> into{buffer(first), buffer(second)};
        std::error_code ec;
        CHECK(b.read_exact(into, ec) == 14);
        CHECK_FALSE(ec);
        writer.join();
        CHECK(std::string(first.data(), 3) + std::string(second.data(), 11) == "0123456789abcd");
    }
    SUBCASE("a write far larger than the socket buffer") {
        std::vector<std::uint8_t> head(3 << 20), tail(5 << 20);
        for (std::size_t i = 0; i < head.size(); ++i)
            head[i] = static_cast<std::uint8_t>(i);
        for (std::size_t i = 0; i < tail.size(); ++i)
            tail[i] = static_cast<std::uint8_t>(i * 3);
        const std::array<ConstBuffer, 2> parts{buffer(std::as_const(head)), buffer(std::as_const(tail))};
        testing::Thread writer([&] { a.write_all(parts); });
        std::vector<std::uint8_t> got_head(head.size()), got_tail(tail.size());
        b.read_exact(buffer(got_head));
        b.read_exact(buffer(got_tail));
        writer.join();
        CHECK(got_head == head);
        CHECK(got_tail == tail);
    }
}

TEST_CASE("stream: a large transfer arrives intact through write_all/read_exact") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    std::vector<std::uint8_t> sent(8 << 20);
    for (std::size_t i = 0; i < sent.size(); ++i)
        sent[i] = static_cast<std::uint8_t>(i * 7 + (i >> 12));
    testing::Thread writer([&] { a.write_all(buffer(std::as_const(sent))); });
    std::vector<std::uint8_t> received(sent.size());
    b.read_exact(buffer(received));
    writer.join();
    CHECK(received == sent);
}

TEST_CASE("stream: connecting to a name nobody serves is connection_refused, naming the socket") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName unbound = testing::unique_namespaced_name("unbound");
    std::error_code ec;
    const LocalStream stream = LocalStream::connect(unbound, ec);
    CHECK_FALSE(stream.is_open());
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
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    a.write_all("last words");
    a.shutdown(Shutdown::write);
    std::array<char, 32> data{};
    CHECK(b.read_some(buffer(data)) == 10);
    CHECK(b.read_some(buffer(data)) == 0); // end of stream
    CHECK(b.read_some(buffer(data)) == 0); // and it stays there
    b.write_all("still open");
    CHECK(a.read_some(buffer(data)) == 10);

    std::error_code ec;
    a.write_all("more", ec);
    CHECK(ec == std::errc::broken_pipe);
}

TEST_CASE("stream: read and write timeouts expire with timed_out") {
    const testing::HandleLeakCheck leaks;
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
    CHECK(written < big.size());

    // After the timeout both directions still work: drain what was written,
    // then exchange a message each way.
    a.set_write_timeout(0ms);
    std::vector<char> sink(written);
    b.read_exact(buffer(sink));
    b.write_all("y");
    CHECK(a.read_some(buffer(data)) == 1);
    a.write_all("z");
    CHECK(b.read_some(buffer(data)) == 1);
    CHECK(data[0] == 'z');

    a.set_read_timeout(0ms); // back to waiting forever
    CHECK_THROWS_AS(a.set_read_timeout(-1ms), std::system_error);
}

TEST_CASE("stream: non-blocking mode reports would_block") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    a.set_nonblocking(true);
    std::array<char, 16> data{};
    std::error_code ec;
    CHECK(a.read_some(buffer(data), ec) == 0);
    CHECK(ec == std::errc::operation_would_block);

    const std::vector<char> chunk(1 << 16);
    std::size_t total = 0;
    for (int i = 0; i < 100000; ++i) {
        total += a.write_some(buffer(chunk), ec);
        if (ec)
            break;
    }
    CHECK(ec == std::errc::operation_would_block);
    CHECK(total > 0);

    a.set_nonblocking(false);
    std::vector<char> sink(total);
    b.read_exact(buffer(sink)); // exactly what was reported written arrived
    b.write_all("y");
    CHECK(a.read_some(buffer(data)) == 1);
}

TEST_CASE("stream: a non-blocking connect gives a stream in non-blocking mode") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("nonblocking-connect");
    LocalListener listener = LocalListener::bind(name);
    LocalStream client = LocalStream::connect(name, ConnectOptions{.nonblocking = true});
    LocalStream server = listener.accept();
    std::array<char, 16> data{};
    std::error_code ec;
    CHECK(client.read_some(buffer(data), ec) == 0); // nothing yet: no wait
    CHECK(ec == std::errc::operation_would_block);
    server.write_all("x");
    std::size_t got = 0;
    for (int i = 0; i < 1000 && got == 0; ++i) { // a pipe write may take a moment to show
        got = client.read_some(buffer(data), ec);
        if (ec == std::errc::operation_would_block)
            std::this_thread::sleep_for(1ms);
        else
            REQUIRE_FALSE(ec);
    }
    CHECK(got == 1);
    CHECK(data[0] == 'x');

    // Nobody there is still refused, not would_block. (On Windows a
    // connected instance keeps the name in use: close it too.)
    listener.close();
    server.close();
    LocalStream::connect(name, ConnectOptions{.nonblocking = true}, ec);
    CHECK(ec == std::errc::connection_refused);
}

TEST_CASE("stream: a peer that dies mid-message gives end_of_stream, not a hang") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("dies");
    LocalListener listener = LocalListener::bind(name);
    auto child = testing::ChildProcess::spawn("die_mid_message", {name.to_string()});
    LocalStream stream = listener.accept();
    std::uint32_t length = 0;
    stream.read_exact(MutableBuffer(&length, sizeof length));
    REQUIRE(length == 100);
    CHECK(child.wait() == testing::abrupt_exit_status);
    std::vector<char> body(length);
    std::error_code ec;
    const std::size_t got = stream.read_exact(buffer(body), ec);
    CHECK(ec == errc::end_of_stream);
    CHECK(got == 10);
    CHECK(std::string(body.data(), got) == "0123456789");
    CHECK_THROWS_AS(stream.read_exact(buffer(body)), std::system_error);
}

TEST_CASE("stream: peer credentials name the real peer process") {
    const testing::HandleLeakCheck leaks;
    SUBCASE("a pair is its own peer") {
        auto [a, b] = LocalStream::pair();
        const PeerCredentials peer = a.peer_credentials();
        CHECK(peer.pid == testing::current_pid());
        CHECK(peer.uid == b.peer_credentials().uid);
        CHECK(peer.user_sid == b.peer_credentials().user_sid);
    }
    SUBCASE("a child process, both ways") {
        const LocalSocketName name = testing::unique_namespaced_name("creds");
        LocalListener listener = LocalListener::bind(name);
        auto child = testing::ChildProcess::spawn("check_server_credentials",
                                                  {name.to_string(), std::to_string(testing::current_pid())});
        LocalStream client = listener.accept();
        char ready = 0;
        client.read_exact(MutableBuffer(&ready, 1));
        const PeerCredentials peer = client.peer_credentials();
        CHECK(peer.pid == child.pid());
        client.write_all("d");
        CHECK(child.wait() == 0);
    }
}

// Child: connect to args[0], wait for the parent's word, exit.
CHILD_ROLE(connect_and_wait) {
    LocalStream stream = LocalStream::connect(LocalSocketName::parse(args.at(0)));
    char go = 0;
    stream.read_exact(MutableBuffer(&go, 1));
    return 0;
}

TEST_CASE("stream: peer_process is a handle on the peer process itself") {
    const testing::HandleLeakCheck leaks;
    SUBCASE("a pair's peer is this process") {
        auto [a, b] = LocalStream::pair();
        std::error_code ec;
        const OwnedHandle self = a.peer_process(ec);
        if (ec == std::errc::not_supported) {
            CHECK_MESSAGE(!testing::os_has_peer_process(), "not_supported although the OS has it");
            MESSAGE("peer_process is not supported by this kernel");
            return;
        }
        REQUIRE_FALSE(ec);
        CHECK(testing::process_id_of(self) == testing::current_pid());
        CHECK_FALSE(testing::is_inheritable(self));
        CHECK_FALSE(testing::process_ended(self, 0));
    }
    SUBCASE("a child: the handle sees that very process end") {
        const LocalSocketName name = testing::unique_namespaced_name("peer-process");
        LocalListener listener = LocalListener::bind(name);
        auto child = testing::ChildProcess::spawn("connect_and_wait", {name.to_string()});
        LocalStream client = listener.accept();
        std::error_code ec;
        const OwnedHandle process = client.peer_process(ec);
        if (ec == std::errc::not_supported) {
            CHECK_MESSAGE(!testing::os_has_peer_process(), "not_supported although the OS has it");
            client.write_all("g");
            CHECK(child.wait() == 0);
            MESSAGE("peer_process is not supported by this kernel");
            return;
        }
        REQUIRE_FALSE(ec);
        CHECK(testing::process_id_of(process) == child.pid());
        CHECK_FALSE(testing::process_ended(process, 0));
        client.write_all("g");
        CHECK(testing::process_ended(process, 10000));
        CHECK(child.wait() == 0);
    }
}

TEST_CASE("stream: operations on a closed stream fail cleanly") {
    const testing::HandleLeakCheck leaks;
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
