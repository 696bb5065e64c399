// POSIX-only seqpacket tests: an end of a socket pair handed to a child across
// exec (the tiny-nix-ipc entry point), adoption, filesystem names.
#include <doctest/doctest.h>

#include "../support/process.hpp"
#include "../support/resources.hpp"

#include <localsock/localsock.hpp>

#include <array>
#include <string>

#include <fcntl.h>
#include <sys/socket.h>

using namespace localsock;

// Child: args[0] is the number of an inherited seqpacket descriptor. Adopt
// it, check it became close-on-exec, answer "pong" with a file.
CHILD_ROLE(seqpacket_adopter) {
    const int fd = std::stoi(args.at(0));
    LocalSeqpacket socket = LocalSeqpacket::adopt(OwnedHandle(fd));
    CHILD_REQUIRE(!testing::is_inheritable(BorrowedHandle(socket.native_handle())));
    std::array<char, 8> data{};
    const ReceiveResult r = socket.receive(buffer(data));
    CHILD_REQUIRE(std::string(data.data(), r.bytes) == "ping");
    OwnedHandle file = testing::file_with("from the exec'd child");
    socket.send("pong", {file.borrow()});
    return 0;
}

// Child: args[0] is a descriptor number the parent did NOT make inheritable.
CHILD_ROLE(descriptor_absent) {
    return ::fcntl(std::stoi(args.at(0)), F_GETFD) == -1 && errno == EBADF ? 0 : 1;
}

TEST_SUITE("ipc") {

TEST_CASE("seqpacket pair: one end made inheritable crosses exec and is adopted") {
    const testing::HandleLeakCheck leaks;
    auto [mine, theirs] = LocalSeqpacket::pair();
    OwnedHandle end = theirs.release();
    const std::string number = std::to_string(end.get());

    // Not inheritable by default: a child started now does not get it.
    auto without = testing::ChildProcess::spawn("descriptor_absent", {number});
    CHECK(without.wait() == 0);

    end.set_inheritable(true);
    CHECK(testing::is_inheritable(end));
    auto child = testing::ChildProcess::spawn("seqpacket_adopter", {number});
    end.reset(); // the parent's copy: closed right after the spawn

    mine.send("ping");
    std::array<char, 8> data{};
    std::vector<OwnedHandle> handles;
    const ReceiveResult r = mine.receive(buffer(data), handles);
    CHECK(std::string(data.data(), r.bytes) == "pong");
    REQUIRE(handles.size() == 1);
    CHECK(testing::read_whole_file(handles[0]) == "from the exec'd child");
    CHECK(child.wait() == 0);
}

TEST_CASE("seqpacket: adopt checks the socket type") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    std::error_code ec;
    LocalSeqpacket wrong = LocalSeqpacket::adopt(a.release(), ec);
    CHECK(ec == errc::wrong_socket_type);
    CHECK_FALSE(wrong.is_open());

    const LocalSocketName name = testing::unique_namespaced_name("seqadopt");
    LocalSeqpacketListener original = LocalSeqpacketListener::bind(name);
    OwnedHandle listening = original.release();
    LocalListener as_stream = LocalListener::adopt(listening.duplicate(), ec);
    CHECK(ec == errc::wrong_socket_type); // a seqpacket listener is no stream listener
    CHECK_FALSE(as_stream.is_open());
    LocalSeqpacketListener adopted = LocalSeqpacketListener::adopt(std::move(listening));
    CHECK(adopted.local_name() == name);
    LocalSeqpacket client = LocalSeqpacket::connect(name);
    LocalSeqpacket server = adopted.accept();
    client.send("adopted");
    std::array<char, 16> data{};
    CHECK(server.receive(buffer(data)).bytes == 7);
    CHECK(std::string(data.data(), 7) == "adopted");
}

TEST_CASE("adopt: a local socket of the other type is wrong_socket_type, not 'not a listener'") {
    const testing::HandleLeakCheck leaks;
    const auto dup = [](const auto& socket) { return OwnedHandle(::fcntl(socket.native_handle(), F_DUPFD_CLOEXEC, 0)); };
    std::error_code ec;
    // A seqpacket listener given to the stream listener, and the reverse.
    LocalSeqpacketListener seqpacket_listener =
        LocalSeqpacketListener::bind(testing::unique_namespaced_name("adopt-seq"));
    LocalListener stream_listener = LocalListener::bind(testing::unique_namespaced_name("adopt-stream"));
    CHECK_FALSE(LocalListener::adopt(dup(seqpacket_listener), ec).is_open());
    CHECK(ec == errc::wrong_socket_type);
    CHECK_FALSE(LocalSeqpacketListener::adopt(dup(stream_listener), ec).is_open());
    CHECK(ec == errc::wrong_socket_type);
    try {
        (void)LocalListener::adopt(dup(seqpacket_listener));
        FAIL("a seqpacket listener adopted as a stream listener");
    } catch (const std::system_error& e) {
        CHECK(e.code() == errc::wrong_socket_type);
        CHECK(std::string(e.what()) ==
              "localsock: adopt listener: the handle is not a local socket of the expected type");
    }
    // Connected sockets: a seqpacket end given to LocalStream, a stream end to
    // LocalSeqpacket and LocalDatagram.
    auto [s1, s2] = LocalSeqpacket::pair();
    CHECK_FALSE(LocalStream::adopt(s1.release(), ec).is_open());
    CHECK(ec == errc::wrong_socket_type);
    auto [t1, t2] = LocalStream::pair();
    CHECK_FALSE(LocalSeqpacket::adopt(t1.release(), ec).is_open());
    CHECK(ec == errc::wrong_socket_type);
    CHECK_FALSE(LocalDatagram::adopt(t2.release(), ec).is_open());
    CHECK(ec == errc::wrong_socket_type);
    // What is no local socket at all keeps its own code.
    auto [read_end, write_end] = testing::make_pipe();
    CHECK_FALSE(LocalListener::adopt(std::move(read_end), ec).is_open());
    CHECK(ec == errc::not_a_listener);
    CHECK_FALSE(LocalStream::adopt(std::move(write_end), ec).is_open());
    CHECK(ec == errc::not_a_local_stream);
    // Still listening after all that: the adopters closed only their duplicates.
    CHECK(seqpacket_listener.is_open());
}

TEST_CASE("seqpacket: filesystem names, mode and removal on close") {
    const testing::HandleLeakCheck leaks;
    const testing::TempDir dir;
    const LocalSocketName name = LocalSocketName::filesystem(dir / "seq.sock");
    {
        ListenerOptions options;
        options.mode = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
        LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name, options);
        const auto status = std::filesystem::status(name.value());
        CHECK(status.type() == std::filesystem::file_type::socket);
        CHECK(status.permissions() == *options.mode);
        LocalSeqpacket client = LocalSeqpacket::connect(name);
        LocalSeqpacket server = listener.accept();
        client.send("on disk");
        std::array<char, 16> data{};
        CHECK(server.receive(buffer(data)).bytes == 7);
        int type = 0;
        socklen_t length = sizeof type;
        REQUIRE(::getsockopt(server.native_handle(), SOL_SOCKET, SO_TYPE, &type, &length) == 0);
        CHECK(type == SOCK_SEQPACKET);
    }
    CHECK_FALSE(std::filesystem::exists(name.value()));
}

} // TEST_SUITE
