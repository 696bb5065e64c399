// IPC tests (Windows): what only named pipes have — the pipe namespace,
// squatting, security descriptors, plain pipe peers, events, hostile frames.
#include <doctest/doctest.h>

#include "../support/process.hpp"
#include "../support/resources.hpp"
#include "raw_pipes.hpp"

#include <localsock/localsock.hpp>

#include <windows.h>

#include <array>
#include <chrono>
#include <string>

using namespace localsock;
using testing::win32::dacl_of;
using testing::win32::frame_header;
using testing::win32::frame_magic;
using testing::win32::frame_version;
using testing::win32::table_receiver;
using testing::win32::frame_value;
using testing::win32::raw_client;
using testing::win32::warn_not_enforced;
using testing::win32::wide_pipe_path;

// Child: receive an event and set it.
CHILD_ROLE(set_received_event) {
    LocalStream stream = LocalStream::connect(LocalSocketName::parse(args.at(0)));
    std::vector<OwnedHandle> handles;
    char tag = 0;
    CHILD_REQUIRE(stream.receive(MutableBuffer(&tag, 1), handles) == 1);
    CHILD_REQUIRE(handles.size() == 1);
    CHILD_REQUIRE(::SetEvent(handles[0].get()));
    return 0;
}

TEST_SUITE("ipc") {

TEST_CASE("win32: names live in the pipe namespace") {
    using Kind = LocalSocketName::Kind;
    CHECK(LocalSocketName::supports(Kind::namespaced));
    CHECK_FALSE(LocalSocketName::supports(Kind::filesystem));
    CHECK(LocalSocketName::max_length(Kind::namespaced) == 247);
    std::error_code ec;
    LocalSocketName::filesystem("C:\\x.sock", ec);
    CHECK(ec == std::errc::not_supported);
    CHECK(LocalSocketName::namespaced("\\\\.\\pipe\\service") == LocalSocketName::namespaced("service"));
    CHECK(LocalSocketName::parse("\\\\.\\PIPE\\service") == LocalSocketName::namespaced("service"));
    CHECK(LocalSocketName::namespaced("service").to_string() == "@service");
    LocalSocketName::namespaced("a\\b", ec);
    CHECK(ec == errc::name_invalid_character);
    CHECK(ec == std::errc::invalid_argument);
}

TEST_CASE("win32: a name taken by another pipe server cannot be bound (no squatting)") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("squat");
    const OwnedHandle squatter(::CreateNamedPipeW(wide_pipe_path(name).c_str(), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE,
                                                  PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, nullptr));
    REQUIRE(squatter.valid());
    std::error_code ec;
    const LocalListener listener = LocalListener::bind(name, ec);
    CHECK(ec == std::errc::address_in_use);
    CHECK_FALSE(listener.is_open());
}

TEST_CASE("win32: the first instance is exclusive (FILE_FLAG_FIRST_PIPE_INSTANCE)") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("first");
    const LocalListener listener = LocalListener::bind(name);
    const OwnedHandle second(::CreateNamedPipeW(wide_pipe_path(name).c_str(),
                                                PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE, PIPE_TYPE_BYTE,
                                                PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, nullptr));
    if (second.valid() && testing::running_under_wine())
        warn_not_enforced("FILE_FLAG_FIRST_PIPE_INSTANCE");
    else
        CHECK_FALSE(second.valid());
}

TEST_CASE("win32: a busy server makes connect wait, within busy_timeout") {
    using namespace std::chrono_literals;
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("busy");
    LocalListener listener = LocalListener::bind(name, {.backlog = 1}); // one instance waiting
    LocalStream first = LocalStream::connect(name);                     // takes it
    std::error_code ec;
    const auto start = std::chrono::steady_clock::now();
    const LocalStream refused = LocalStream::connect(name, {.busy_timeout = 150ms}, ec);
    CHECK(ec == std::errc::timed_out);
    CHECK(std::chrono::steady_clock::now() - start >= 100ms);

    // Once the server accepts, a fresh instance waits and the next client gets in.
    LocalStream served = listener.accept();
    LocalStream second = LocalStream::connect(name, {.busy_timeout = 5s});
    second.write_all("in");
    std::array<char, 2> in{};
    listener.accept().read_exact(buffer(in));
    CHECK(std::string(in.data(), 2) == "in");
}

TEST_CASE("win32: default security admits the user, SYSTEM and administrators only") {
    const testing::HandleLeakCheck leaks;
    const LocalListener listener = LocalListener::bind(testing::unique_namespaced_name("dacl"));
    const std::string dacl = dacl_of(listener.native_handle());
    CAPTURE(dacl);
    CHECK(dacl.find("D:P") == 0);               // protected: nothing inherited
    CHECK(dacl.find(";;;SY)") != std::string::npos);
    CHECK(dacl.find(";;;BA)") != std::string::npos);
    CHECK(dacl.find(";;;S-1-") != std::string::npos); // the current user
    CHECK(dacl.find(";;;WD)") == std::string::npos);  // not Everyone
    CHECK(dacl.find(";;;AN)") == std::string::npos);  // not anonymous
}

TEST_CASE("win32: an SDDL option sets the pipe's security, and it is enforced") {
    const testing::HandleLeakCheck leaks;
    SUBCASE("stored as given") {
        const LocalListener open_to_all =
            LocalListener::bind(testing::unique_namespaced_name("sddl"), {.security_descriptor = "D:(A;;GA;;;WD)"});
        CHECK(dacl_of(open_to_all.native_handle()).find(";;;WD)") != std::string::npos);
    }
    SUBCASE("a DACL without the current user keeps it out") {
        const LocalSocketName name = testing::unique_namespaced_name("sddl-deny");
        const LocalListener system_only = LocalListener::bind(name, {.security_descriptor = "D:P(A;;GA;;;SY)"});
        std::error_code ec;
        const LocalStream stream = LocalStream::connect(name, ec);
        if (!ec && testing::running_under_wine())
            warn_not_enforced("pipe DACLs");
        else
            CHECK(ec == std::errc::permission_denied);
    }
    SUBCASE("a malformed SDDL string is an error") {
        std::error_code ec;
        LocalListener::bind(testing::unique_namespaced_name("sddl-bad"), {.security_descriptor = "nonsense"}, ec);
        CHECK(ec);
    }
}

TEST_CASE("win32: with handle_passing off, localsock talks to plain pipe peers") {
    const testing::HandleLeakCheck leaks;
    SUBCASE("a plain client") {
        const LocalSocketName name = testing::unique_namespaced_name("plain-client");
        LocalListener listener = LocalListener::bind(name, {.handle_passing = false});
        const OwnedHandle client = raw_client(name);
        LocalStream server = listener.accept();
        testing::write_handle(client, "from a plain client");
        std::string text(19, '\0');
        server.read_exact(buffer(text));
        CHECK(text == "from a plain client");
        server.write_all("reply");
        CHECK(testing::read_handle(client, 5) == "reply");
        std::error_code ec;
        server.shutdown(Shutdown::write, ec);
        CHECK(ec == std::errc::not_supported); // a plain pipe has no half-close
    }
    SUBCASE("a plain server") {
        const LocalSocketName name = testing::unique_namespaced_name("plain-server");
        const OwnedHandle server(::CreateNamedPipeW(wide_pipe_path(name).c_str(), PIPE_ACCESS_DUPLEX,
                                                    PIPE_TYPE_BYTE | PIPE_READMODE_BYTE, 1, 4096, 4096, 0, nullptr));
        REQUIRE(server.valid());
        LocalStream client = LocalStream::connect(name, {.handle_passing = false});
        ::ConnectNamedPipe(server.get(), nullptr); // already connected: ERROR_PIPE_CONNECTED
        client.write_all("to a plain server");
        CHECK(testing::read_handle(server, 17) == "to a plain server");
        testing::write_handle(server, "ok");
        std::array<char, 2> ok{};
        client.read_exact(buffer(ok));
        CHECK(std::string(ok.data(), 2) == "ok");
    }
}

TEST_CASE("win32: an event passed to a child is set there") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("event");
    LocalListener listener = LocalListener::bind(name);
    auto child = testing::ChildProcess::spawn("set_received_event", {name.to_string()});
    LocalStream stream = listener.accept();
    const OwnedHandle event(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
    REQUIRE(event.get() != nullptr);
    stream.send("e", {event.borrow()});
    CHECK(::WaitForSingleObject(event.get(), 10000) == WAIT_OBJECT_0);
    CHECK(child.wait() == 0);
}

TEST_CASE("win32: a hostile or corrupt frame is a protocol error, never a crash or a hang") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("hostile");
    LocalListener listener = LocalListener::bind(name);
    const OwnedHandle attacker = raw_client(name);
    LocalStream victim = listener.accept();
    std::array<std::byte, 64> bytes{};

    SUBCASE("wrong magic") { testing::write_handle(attacker, frame_header(0xDEADBEEF, frame_version, 1, 0, 4)); }
    SUBCASE("unknown version") { testing::write_handle(attacker, frame_header(frame_magic, 9, 1, 0, 4)); }
    SUBCASE("more handles than any message may carry") {
        testing::write_handle(attacker, frame_header(frame_magic, frame_version, 1, 300, 4, table_receiver));
    }
    SUBCASE("a data frame without data") { testing::write_handle(attacker, frame_header(frame_magic, frame_version, 1, 0, 0)); }
    SUBCASE("a payload length past the format's limit") {
        testing::write_handle(attacker, frame_header(frame_magic, frame_version, 1, 0, 0xFFFFFFFF));
    }
    SUBCASE("pseudo-handle values") {
        const std::uint64_t current_process = ~std::uint64_t{0}, current_thread = ~std::uint64_t{1};
        testing::write_handle(attacker, frame_header(frame_magic, frame_version, 1, 2, 4, table_receiver) + frame_value(current_process) +
                                            frame_value(current_thread) + "data");
    }
    std::vector<OwnedHandle> handles;
    std::error_code ec;
    CHECK(victim.receive(buffer(bytes), handles, ec) == 0);
    CHECK(ec == errc::protocol_error);
    CHECK(handles.empty());
    victim.receive(buffer(bytes), handles, ec); // and it stays refused
    CHECK(ec == errc::protocol_error);
}

TEST_CASE("win32: a frame cut off by a dying peer ends the stream cleanly") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("cut");
    LocalListener listener = LocalListener::bind(name);
    OwnedHandle attacker = raw_client(name);
    LocalStream victim = listener.accept();
    testing::write_handle(attacker, frame_header(frame_magic, frame_version, 1, 0, 100).substr(0, 10)); // part of a header
    attacker.reset();
    std::array<char, 8> bytes{};
    std::error_code ec;
    CHECK(victim.read_some(buffer(bytes), ec) == 0);
    CHECK_FALSE(ec);
}

TEST_CASE("win32: a handle that cannot be duplicated fails the send and leaks nothing") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    const OwnedHandle good = testing::file_with("good");
    const BorrowedHandle bogus(reinterpret_cast<HANDLE>(static_cast<std::uintptr_t>(0x7FFFFFF0)));
    std::error_code ec;
    CHECK(a.send("x", {good.borrow(), bogus}, ec) == 0);
    CHECK(ec); // the good handle's copy, made first, was closed again (the leak check shows it)
    CHECK(a.send("x", {BorrowedHandle()}, ec) == 0);
    CHECK(ec == std::errc::bad_file_descriptor);

    // Nothing reached the peer, and the stream still works.
    a.send("y", {good.borrow()});
    std::vector<OwnedHandle> received;
    char y = 0;
    CHECK(b.receive(MutableBuffer(&y, 1), received) == 1);
    CHECK(y == 'y');
    CHECK(received.size() == 1);
}

TEST_CASE("win32: a non-blocking send left in flight leaks none of its handles") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    const OwnedHandle file = testing::file_with("f");
    const std::string filler(10000, 'f'); // a frame small enough to go out in one write
    a.set_nonblocking(true);
    std::error_code ec;
    std::size_t sent = 0;
    for (int i = 0; i < 64 && !ec; ++i)
        sent += a.send(filler, {file.borrow()}, ec);
    CHECK(ec == std::errc::operation_would_block);
    CHECK(sent > 0);
    a = LocalStream(); // cancels the frame in flight: its handle's copy is closed in the peer
    b = LocalStream(); // closes the copies in the frames never read
}

TEST_CASE("win32: peer credentials carry the user's SID") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    const PeerCredentials peer = a.peer_credentials();
    CHECK(peer.user_sid.rfind("S-1-", 0) == 0);
    CHECK_FALSE(peer.uid.has_value());
    CHECK(peer.pid == testing::current_pid());
}

TEST_CASE("win32: adopting a raw handle is not supported") {
    const testing::HandleLeakCheck leaks;
    auto [read_end, write_end] = testing::make_pipe();
    std::error_code ec;
    LocalStream::adopt(std::move(read_end), ec);
    CHECK(ec == std::errc::not_supported);
    LocalListener::adopt(std::move(write_end), ec);
    CHECK(ec == std::errc::not_supported);
}

TEST_CASE("activation: Windows has no socket activation: not_supported, both forms") {
    std::error_code ec;
    CHECK(take_activated_sockets(ec).empty());
    CHECK(ec == std::errc::not_supported);
    CHECK_THROWS_WITH_AS(take_activated_sockets(),
                         "localsock: take activated sockets: Windows has no socket activation: Operation not supported",
                         std::system_error);
    CHECK(take_launchd_sockets("Listeners", ec).empty());
    CHECK(ec == std::errc::not_supported);
}

} // TEST_SUITE
