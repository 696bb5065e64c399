// IPC tests: LocalListener on every OS — taken names, incoming(), non-blocking accept.
#include <doctest/doctest.h>

#include "support/resources.hpp"
#include "support/thread.hpp"

#include <localsock/localsock.hpp>

#include <array>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace localsock;

TEST_SUITE("ipc") {

TEST_CASE("listener: a second bind of a taken name is address_in_use") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("taken");
    const LocalListener first = LocalListener::bind(name);
    std::error_code ec;
    const LocalListener second = LocalListener::bind(name, ec);
    CHECK(ec == std::errc::address_in_use);
    CHECK_FALSE(second.is_open());
    try {
        LocalListener::bind(name);
        FAIL("bind did not throw");
    } catch (const std::system_error& e) {
        CHECK(std::string(e.what()).find("bind '" + name.to_string() + "'") != std::string::npos);
    }
}

TEST_CASE("listener: incoming() accepts clients in a range-for") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("incoming");
    LocalListener listener = LocalListener::bind(name);
    testing::Thread clients([&] {
        for (int i = 0; i < 3; ++i) {
            LocalStream c = LocalStream::connect(name);
            c.write_all(std::to_string(i));
        }
    });
    int accepted = 0;
    for (LocalStream client : listener.incoming()) {
        char digit = 0;
        client.read_exact(MutableBuffer(&digit, 1));
        CHECK(digit == '0' + accepted);
        CHECK(client.name() == name);
        if (++accepted == 3)
            break;
    }
    clients.join();
    CHECK(accepted == 3);
}

TEST_CASE("listener: non-blocking accept, and incoming() drains what is waiting") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("nonblocking");
    LocalListener listener = LocalListener::bind(name, {.nonblocking = true});
    std::error_code ec;
    CHECK_FALSE(listener.accept(ec).is_open());
    CHECK(ec == std::errc::operation_would_block);

    std::vector<LocalStream> clients;
    for (int i = 0; i < 2; ++i)
        clients.push_back(LocalStream::connect(name));
    int drained = 0;
    for (LocalStream client : listener.incoming()) {
        CHECK(client.is_open());
        ++drained;
    }
    CHECK(drained == 2);
}

TEST_CASE("listener: an accept timeout expires with timed_out, and accepting works after it") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("accept-timeout");
    LocalListener listener = LocalListener::bind(name);
    listener.set_accept_timeout(std::chrono::milliseconds(60));
    std::error_code ec;
    const auto start = std::chrono::steady_clock::now();
    CHECK_FALSE(listener.accept(ec).is_open());
    CHECK(ec == std::errc::timed_out);
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(50));
    CHECK_THROWS_AS(listener.set_accept_timeout(std::chrono::milliseconds(-1)), std::system_error);
    LocalStream client = LocalStream::connect(name);
    LocalStream server = listener.accept(); // a waiting client is taken at once
    CHECK(server.is_open());
    listener.set_accept_timeout(std::chrono::milliseconds(0)); // forever again

    LocalSeqpacketListener seq = LocalSeqpacketListener::bind(testing::unique_namespaced_name("accept-timeout-seq"));
    seq.set_accept_timeout(std::chrono::milliseconds(30));
    CHECK_FALSE(seq.accept(ec).is_open());
    CHECK(ec == std::errc::timed_out);
}

TEST_CASE("listener: nonblocking_accepted hands out connections that are non-blocking from the start") {
    const testing::HandleLeakCheck leaks;
    std::array<char, 8> data{};
    std::vector<OwnedHandle> handles;
    std::error_code ec;
    {
        const LocalSocketName name = testing::unique_namespaced_name("nb-accepted");
        LocalListener listener = LocalListener::bind(name, {.nonblocking_accepted = true});
        LocalStream client = LocalStream::connect(name);
        LocalStream server = listener.accept(); // the listener itself still waits
        server.set_read_timeout(std::chrono::seconds(2)); // were it blocking: timed_out, not a hang
        server.read_some(buffer(data), ec);
        CHECK(ec == std::errc::operation_would_block);
        server.receive(buffer(data), handles, ec);
        CHECK(ec == std::errc::operation_would_block);
        client.write_all("x");
        for (int i = 0; i < 1000 && server.read_some(buffer(data), ec) == 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        CHECK_FALSE(ec);
        CHECK(data[0] == 'x');
        // The default stays blocking, also from a non-blocking listener.
        LocalListener plain = LocalListener::bind(testing::unique_namespaced_name("nb-plain"), {.nonblocking = true});
        LocalStream client2 = LocalStream::connect(plain.local_name());
        LocalStream server2 = plain.accept();
        server2.set_read_timeout(std::chrono::milliseconds(20));
        server2.read_some(buffer(data), ec);
        CHECK(ec == std::errc::timed_out);
    }
    {
        const LocalSocketName name = testing::unique_namespaced_name("nb-accepted-seq");
        LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name, {.nonblocking_accepted = true});
        LocalSeqpacket client = LocalSeqpacket::connect(name);
        LocalSeqpacket server = listener.accept();
        server.set_read_timeout(std::chrono::seconds(2));
        (void)server.receive(buffer(data), handles, ec);
        CHECK(ec == std::errc::operation_would_block);
    }
}

TEST_CASE("listener: every handle localsock creates or receives is non-inheritable") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("inherit");
    LocalListener listener = LocalListener::bind(name);
    LocalStream client = LocalStream::connect(name);
    LocalStream server = listener.accept();
    auto [a, b] = LocalStream::pair();
    const OwnedHandle file = testing::file_with("x");
    client.send("x", {file.borrow()});
    std::vector<OwnedHandle> received;
    char x = 0;
    REQUIRE(server.receive(MutableBuffer(&x, 1), received) == 1);
    REQUIRE(received.size() == 1);
    const OwnedHandle duplicated = received[0].duplicate();
    for (const native_handle_type handle : {listener.native_handle(), client.native_handle(),
                                            server.native_handle(), a.native_handle(), b.native_handle(),
                                            received[0].get(), duplicated.get()})
        CHECK_FALSE(testing::is_inheritable(BorrowedHandle(handle)));
}

} // TEST_SUITE
