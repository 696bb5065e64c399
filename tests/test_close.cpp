// IPC tests: close() on every socket class, on every OS — the end of a socket
// without assigning an empty one, with its error visible.
#include <doctest/doctest.h>

#include "support/resources.hpp"

#include <localsock/localsock.hpp>

#include <array>
#include <filesystem>
#include <string>
#include <vector>

using namespace localsock;

namespace {

// After close(): closed, every call says bad_file_descriptor, and so does a
// second close() (thrown by the throwing form).
template <class Socket>
void check_closed(Socket& socket) {
    CHECK_FALSE(socket.is_open());
    CHECK(socket.native_handle() == invalid_native_handle);
    std::error_code ec;
    socket.close(ec);
    CHECK(ec == std::errc::bad_file_descriptor);
    CHECK_THROWS_AS(socket.close(), std::system_error);
}

} // namespace

TEST_SUITE("ipc") {

TEST_CASE("close: a stream closes at once, the peer sees the end, calls report not open") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    const std::size_t before = testing::count_open_handles();
    std::error_code ec;
    a.close(ec);
    CHECK_FALSE(ec);
    CHECK(testing::count_open_handles() < before);
    check_closed(a);
    std::array<char, 4> data{};
    CHECK(a.read_some(buffer(data), ec) == 0);
    CHECK(ec == std::errc::bad_file_descriptor);
    CHECK_THROWS_AS(a.write_all("x"), std::system_error);
    CHECK(b.read_some(buffer(data)) == 0); // end of stream on the other side

    // The throwing form on a connected stream, with handles still queued for it.
    auto [c, d] = LocalStream::pair();
    const OwnedHandle file = testing::file_with("queued");
    d.send("h", {file.borrow()});
    c.close();
    check_closed(c);
}

TEST_CASE("close: a listener closes at once and refuses new clients") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("close-listener");
    LocalListener listener = LocalListener::bind(name);
    listener.close();
    check_closed(listener);
    std::error_code ec;
    CHECK_FALSE(listener.accept(ec).is_open());
    CHECK(ec == std::errc::bad_file_descriptor);
    CHECK_FALSE(LocalStream::connect(name, ec).is_open());
    CHECK(ec);
    // The name is free again.
    LocalListener again = LocalListener::bind(name);
    CHECK(again.is_open());
}

TEST_CASE("close: a listener or datagram socket bound to a socket file removes the file") {
    if (!LocalSocketName::supports(LocalSocketName::Kind::filesystem))
        return; // Windows: pipes have no files
    const testing::HandleLeakCheck leaks;
    const testing::TempDir dir;
    const auto path = dir / "closed.sock";
    LocalListener listener = LocalListener::bind(LocalSocketName::filesystem(path));
    REQUIRE(std::filesystem::exists(std::filesystem::symlink_status(path)));
    listener.close();
    CHECK_FALSE(std::filesystem::exists(std::filesystem::symlink_status(path)));

    LocalSeqpacketListener seq = LocalSeqpacketListener::bind(LocalSocketName::filesystem(path));
    REQUIRE(std::filesystem::exists(std::filesystem::symlink_status(path)));
    std::error_code ec;
    seq.close(ec);
    CHECK_FALSE(ec);
    CHECK_FALSE(std::filesystem::exists(std::filesystem::symlink_status(path)));

    LocalDatagram datagram = LocalDatagram::bind(LocalSocketName::filesystem(path));
    REQUIRE(std::filesystem::exists(std::filesystem::symlink_status(path)));
    datagram.close();
    CHECK_FALSE(std::filesystem::exists(std::filesystem::symlink_status(path)));
}

TEST_CASE("close: seqpacket connections and listeners") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("close-seqpacket");
    LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name);
    LocalSeqpacket client = LocalSeqpacket::connect(name);
    LocalSeqpacket server = listener.accept();
    server.send("last");
    std::error_code ec;
    server.close(ec);
    CHECK_FALSE(ec);
    check_closed(server);
    std::array<char, 8> data{};
    std::vector<OwnedHandle> handles;
    CHECK(client.receive(buffer(data), handles).bytes == 4);
    CHECK(client.receive(buffer(data), handles).bytes == 0); // then the end
    client.close();
    check_closed(client);
    listener.close(ec);
    CHECK_FALSE(ec);
    check_closed(listener);
    CHECK_FALSE(LocalSeqpacket::connect(name, ec).is_open());
}

TEST_CASE("close: a datagram socket") {
    const testing::HandleLeakCheck leaks;
    std::error_code ec;
    auto [a, b] = LocalDatagram::pair(ec);
    if (ec == std::errc::not_supported) { // Windows: no datagrams; close says so too
        a.close(ec);
        CHECK(ec == std::errc::not_supported);
        return;
    }
    REQUIRE_FALSE(ec);
    a.close();
    check_closed(a);
    b.send("to nobody", ec);
    CHECK(ec);
}

} // TEST_SUITE
