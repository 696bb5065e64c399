// IPC tests (Windows): LocalSeqpacket as message-mode named pipes — message
// truncation (ERROR_MORE_DATA), plain message-mode peers, hostile frames,
// handles used in another process, timeouts and non-blocking sends; and
// LocalDatagram / ancillary data, which Windows does not have.
#include <doctest/doctest.h>

#include "../support/process.hpp"
#include "../support/resources.hpp"
#include "../support/thread.hpp"
#include "raw_pipes.hpp"

#include <localsock/localsock.hpp>

#include <windows.h>

#include <array>
#include <chrono>
#include <string>
#include <vector>

using namespace localsock;
using namespace std::chrono_literals;
using testing::win32::dacl_of;
using testing::win32::frame_header;
using testing::win32::frame_magic;
using testing::win32::frame_version;
using testing::win32::table_receiver;
using testing::win32::frame_value;
using testing::win32::raw_client;
using testing::win32::warn_not_enforced;
using testing::win32::wide_pipe_path;

namespace {

// A peer that knows nothing of localsock: a message-mode pipe, blocking I/O.
OwnedHandle raw_message_server(const LocalSocketName& name) {
    const HANDLE pipe = ::CreateNamedPipeW(wide_pipe_path(name).c_str(), PIPE_ACCESS_DUPLEX,
                                           PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE, 1, 4096, 4096, 0, nullptr);
    REQUIRE(pipe != INVALID_HANDLE_VALUE);
    return OwnedHandle(pipe);
}

OwnedHandle raw_message_client(const LocalSocketName& name) { return raw_client(name, true); }

// One pipe message, written whole.
void write_message(const OwnedHandle& pipe, const std::string& message) {
    DWORD written = 0;
    REQUIRE(::WriteFile(pipe.get(), message.data(), static_cast<DWORD>(message.size()), &written, nullptr));
    REQUIRE(written == message.size());
}

// One pipe message read whole (a blocking message-mode handle).
std::string read_message(const OwnedHandle& pipe) {
    std::string message;
    char chunk[16]; // small: a longer message comes in parts, ERROR_MORE_DATA between them
    for (;;) {
        DWORD n = 0;
        const BOOL done = ::ReadFile(pipe.get(), chunk, sizeof chunk, &n, nullptr);
        message.append(chunk, n);
        if (done)
            return message;
        REQUIRE(::GetLastError() == ERROR_MORE_DATA);
    }
}

std::string text(const std::array<char, 64>& data, const ReceiveResult& r) { return std::string(data.data(), r.bytes); }

std::string pattern(std::size_t size, char seed) {
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        s[i] = static_cast<char>(seed + i % 23);
    return s;
}

// Two connected ends through a listener, framed (handle_passing) or plain.
std::pair<LocalSeqpacket, LocalSeqpacket> connected(bool framed) {
    const LocalSocketName name = testing::unique_namespaced_name(framed ? "seq-framed" : "seq-plain");
    LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name, {.handle_passing = framed});
    LocalSeqpacket client = LocalSeqpacket::connect(name, {.handle_passing = framed});
    return {std::move(client), listener.accept()};
}

} // namespace

// Child: receive an event and a pipe's write end in one message, set the
// event, write into the pipe, and answer.
CHILD_ROLE(win32_seqpacket_handles) {
    LocalSeqpacket socket = LocalSeqpacket::connect(LocalSocketName::parse(args.at(0)));
    std::vector<OwnedHandle> handles;
    std::array<char, 16> data{};
    const ReceiveResult r = socket.receive(buffer(data), handles);
    CHILD_REQUIRE(std::string(data.data(), r.bytes) == "take these");
    CHILD_REQUIRE(handles.size() == 2);
    CHILD_REQUIRE(::SetEvent(handles[0].get()));
    testing::write_handle(handles[1], "written by the child");
    handles.clear();
    socket.send("done");
    return 0;
}

TEST_SUITE("ipc") {

TEST_CASE("win32 seqpacket: a message longer than the buffers reports its real size; the next one is whole") {
    const testing::HandleLeakCheck leaks;
    bool framed = true;
    SUBCASE("framed") { framed = true; }
    SUBCASE("plain") { framed = false; }
    auto [a, b] = connected(framed);
    std::vector<OwnedHandle> handles;
    std::array<char, 64> data{};

    // Small: the whole message came in one read; the rest of it is dropped.
    a.send(std::string(300, 's'));
    a.send("next");
    ReceiveResult r = b.receive(buffer(data), handles);
    CHECK(r.bytes == 64);
    CHECK(r.message_size == 300);
    CHECK(r.data_truncated);
    CHECK_FALSE(r.control_truncated);
    CHECK(std::string(data.data(), 64) == std::string(64, 's'));
    r = b.receive(buffer(data), handles);
    CHECK(text(data, r) == "next");
    CHECK(r.message_size == 4);
    CHECK_FALSE(r.data_truncated);

    // Scattered over two small buffers: they are filled in order.
    a.send("0123456789abcdef");
    std::array<char, 3> head{};
    std::array<char, 5> tail{};
    const std::array<MutableBuffer, 2> parts{buffer(head), buffer(tail)};
    r = b.receive(parts, handles);
    CHECK(r.bytes == 8);
    CHECK(r.message_size == 16);
    CHECK(r.data_truncated);
    CHECK(std::string(head.data(), 3) + std::string(tail.data(), 5) == "01234567");

    // Large: longer than the pipe's buffer and the connection's, so the
    // writer is still writing while the reader reads it in parts.
    const std::string big = pattern(300000, 'a');
    testing::Thread writer([&] {
        a.send(big);
        a.send(std::string(200000, 'd')); // dropped but for its first bytes
        a.send("after");
    });
    std::string whole(400000, '\0');
    r = b.receive(buffer(whole), handles);
    CHECK(r.bytes == big.size());
    CHECK(r.message_size == big.size());
    CHECK_FALSE(r.data_truncated);
    CHECK(whole.substr(0, big.size()) == big);
    r = b.receive(buffer(data), handles);
    CHECK(r.bytes == 64);
    CHECK(r.message_size == 200000);
    CHECK(r.data_truncated);
    r = b.receive(buffer(data), handles);
    CHECK(text(data, r) == "after");
    writer.join();
    CHECK(handles.empty());
}

TEST_CASE("win32 seqpacket: a long message keeps its handles when its data is truncated") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalSeqpacket::pair();
    const OwnedHandle file = testing::file_with("kept");
    const std::string big = pattern(150000, 'k');
    testing::Thread writer([&] { a.send(big, {file.borrow()}); });
    std::array<char, 10> first{};
    std::string rest(100000, '\0');
    const std::array<MutableBuffer, 2> parts{buffer(first), buffer(rest)};
    std::vector<OwnedHandle> handles;
    const ReceiveResult r = b.receive(parts, handles);
    writer.join();
    CHECK(r.bytes == 100010);
    CHECK(r.message_size == big.size());
    CHECK(r.data_truncated);
    CHECK_FALSE(r.control_truncated);
    CHECK(std::string(first.data(), 10) + rest == big.substr(0, 100010));
    REQUIRE(handles.size() == 1);
    CHECK(testing::read_whole_file(handles[0]) == "kept");
}

TEST_CASE("win32 seqpacket: with handle_passing off, messages go to and from plain message-mode pipes") {
    const testing::HandleLeakCheck leaks;
    std::array<char, 64> data{};
    SUBCASE("a plain server") {
        const LocalSocketName name = testing::unique_namespaced_name("seq-plain-server");
        const OwnedHandle server = raw_message_server(name);
        LocalSeqpacket client = LocalSeqpacket::connect(name, {.handle_passing = false});
        ::ConnectNamedPipe(server.get(), nullptr); // already connected: ERROR_PIPE_CONNECTED
        client.send("first message");
        const std::array<ConstBuffer, 2> parts{ConstBuffer("gathered "), ConstBuffer("into one")};
        client.send(parts);
        CHECK(read_message(server) == "first message");
        CHECK(read_message(server) == "gathered into one");
        write_message(server, "one");
        write_message(server, "");
        write_message(server, "two");
        CHECK(client.next_message_size() == 3);
        CHECK(text(data, client.receive(buffer(data))) == "one");
        // The empty message is reported, never bytes == 0 (the peer closing),
        // by a peek and by the receive that takes it; what follows arrives.
        std::error_code ec;
        CHECK(client.next_message_size(ec) == 0);
        CHECK(ec == errc::empty_message);
        CHECK(client.receive(buffer(data), ec).bytes == 0);
        CHECK(ec == errc::empty_message);
        ReceiveResult r = client.receive(buffer(data));
        CHECK(text(data, r) == "two");
        CHECK(r.message_size == 3);
        // Waiting for the next message: an empty one that arrives meanwhile
        // is reported (and taken by the wait).
        write_message(server, "");
        CHECK(client.next_message_size(ec) == 0);
        CHECK(ec == errc::empty_message);
        write_message(server, "three");
        CHECK(text(data, client.receive(buffer(data))) == "three");
    }
    SUBCASE("a plain client") {
        const LocalSocketName name = testing::unique_namespaced_name("seq-plain-client");
        LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name, {.handle_passing = false});
        const OwnedHandle client = raw_message_client(name);
        LocalSeqpacket server = listener.accept();
        write_message(client, "from a plain client");
        write_message(client, "again");
        ReceiveResult r = server.receive(buffer(data));
        CHECK(text(data, r) == "from a plain client");
        CHECK(text(data, server.receive(buffer(data))) == "again");
        server.send(std::string(40, 'r'));
        server.send("short");
        CHECK(read_message(client) == std::string(40, 'r')); // read in three parts
        CHECK(read_message(client) == "short");

        std::error_code ec;
        const OwnedHandle file = testing::file_with("x");
        server.send("x", {file.borrow()}, ec);
        CHECK(ec == errc::handle_passing_disabled);
        server.shutdown(Shutdown::write, ec);
        CHECK(ec == std::errc::not_supported); // a plain pipe has no half-close
    }
}

TEST_CASE("win32 seqpacket: a hostile or corrupt frame is a protocol error, never a crash, a hang or a leak") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("seq-hostile");
    LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name);
    const OwnedHandle attacker = raw_message_client(name);
    LocalSeqpacket victim = listener.accept();
    const std::uint64_t current_process = ~std::uint64_t{0};
    const std::uint64_t current_thread = ~std::uint64_t{1};
    bool peek_sees_it = true; // next_message_size() reads the header too

    SUBCASE("wrong magic") { write_message(attacker, frame_header(0xDEADBEEF, frame_version, 1, 0, 4) + "data"); }
    SUBCASE("unknown version") { write_message(attacker, frame_header(frame_magic, 9, 1, 0, 4) + "data"); }
    SUBCASE("unknown kind") { write_message(attacker, frame_header(frame_magic, frame_version, 7, 0, 4) + "data"); }
    SUBCASE("reserved bytes set") { write_message(attacker, frame_header(frame_magic, frame_version, 1, 0, 4, 0x100) + "data"); }
    SUBCASE("shorter than a header") { write_message(attacker, "LSK1"); }
    SUBCASE("more handles than any message may carry") {
        write_message(attacker, frame_header(frame_magic, frame_version, 1, 300, 4, table_receiver) + std::string(300 * 8, '\x04') + "data");
    }
    SUBCASE("fewer handle values than announced") {
        write_message(attacker, frame_header(frame_magic, frame_version, 1, 3, 4, table_receiver) + frame_value(0x40));
    }
    SUBCASE("pseudo-handle values") {
        write_message(attacker, frame_header(frame_magic, frame_version, 1, 2, 4, table_receiver) + frame_value(current_process) +
                                    frame_value(current_thread) + "data");
        peek_sees_it = false; // the header alone is well-formed
    }
    SUBCASE("a value that is not a multiple of 4, or too wide") {
        write_message(attacker,
                      frame_header(frame_magic, frame_version, 1, 2, 4, table_receiver) + frame_value(0x41) + frame_value(0x100000000) + "data");
        peek_sees_it = false;
    }
    SUBCASE("a payload longer than announced") {
        write_message(attacker, frame_header(frame_magic, frame_version, 1, 0, 4) + "data+");
    }
    SUBCASE("a payload shorter than announced") {
        write_message(attacker, frame_header(frame_magic, frame_version, 1, 0, 9) + "data");
    }
    SUBCASE("a data frame without data") { write_message(attacker, frame_header(frame_magic, frame_version, 1, 0, 0)); }
    SUBCASE("an end-of-stream frame with content") {
        write_message(attacker, frame_header(frame_magic, frame_version, 2, 0, 0) + "x");
    }
    SUBCASE("a payload length past the format's limit") {
        write_message(attacker, frame_header(frame_magic, frame_version, 1, 0, 0xFFFFFFFF) + "data");
    }
    write_message(attacker, frame_header(frame_magic, frame_version, 1, 0, 4) + "good"); // well-formed, but after it

    std::error_code ec;
    if (peek_sees_it) {
        CHECK(victim.next_message_size(ec) == 0);
        CHECK(ec == errc::protocol_error);
    }
    std::array<char, 64> data{};
    std::vector<OwnedHandle> handles;
    const ReceiveResult r = victim.receive(buffer(data), handles, ec);
    CHECK(ec == errc::protocol_error);
    CHECK(r.bytes == 0);
    CHECK(handles.empty());
    (void)victim.receive(buffer(data), handles, ec); // and it stays refused
    CHECK(ec == errc::protocol_error);
    CHECK(handles.empty());
}

TEST_CASE("win32 seqpacket: an event and a pipe passed to another process are used there") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("seq-child");
    LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name);
    auto child = testing::ChildProcess::spawn("win32_seqpacket_handles", {name.to_string()});
    LocalSeqpacket socket = listener.accept();
    const OwnedHandle event(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
    REQUIRE(event.get() != nullptr);
    auto [pipe_read, pipe_write] = testing::make_pipe();
    socket.send("take these", {event.borrow(), pipe_write.borrow()});
    pipe_write.reset();
    CHECK(::WaitForSingleObject(event.get(), 10000) == WAIT_OBJECT_0);
    CHECK(testing::read_handle(pipe_read, 20) == "written by the child");
    CHECK(testing::pipe_at_end(pipe_read)); // the child's copy is closed too
    std::array<char, 64> data{};
    CHECK(text(data, socket.receive(buffer(data))) == "done");
    CHECK(child.wait() == 0);
}

TEST_CASE("win32 seqpacket: next_message_size waits for a message and leaves it queued") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalSeqpacket::pair();
    std::error_code ec;
    b.set_nonblocking(true);
    CHECK(b.next_message_size(ec) == 0);
    CHECK(ec == std::errc::operation_would_block);
    b.set_nonblocking(false);
    b.set_read_timeout(50ms);
    const auto start = std::chrono::steady_clock::now();
    CHECK(b.next_message_size(ec) == 0);
    CHECK(ec == std::errc::timed_out);
    CHECK(std::chrono::steady_clock::now() - start >= 40ms);

    b.set_read_timeout(0ms);
    const OwnedHandle file = testing::file_with("f");
    testing::Thread sender([&] {
        ::Sleep(50);
        a.send(std::string(70000, 'n'), {file.borrow()}); // longer than a read-ahead
    });
    CHECK(b.next_message_size() == 70000);
    CHECK(b.next_message_size() == 70000); // still there
    std::string all(70000, '\0');
    std::vector<OwnedHandle> handles;
    const ReceiveResult r = b.receive(buffer(all), handles);
    sender.join();
    CHECK(r.bytes == 70000);
    CHECK(handles.size() == 1);

    a.shutdown(Shutdown::write); // an end-of-stream message
    CHECK(b.next_message_size() == 0);
    CHECK(b.receive(buffer(all)).bytes == 0);
    CHECK(b.next_message_size() == 0);
    b.send("the other way still works");
    std::array<char, 64> data{};
    CHECK(text(data, a.receive(buffer(data))) == "the other way still works");
    std::error_code write_ec;
    a.send("no more", write_ec);
    CHECK(write_ec == std::errc::broken_pipe);

    b = LocalSeqpacket(); // closed: the peer sees the end
    CHECK(a.next_message_size() == 0);
    CHECK(a.receive(buffer(data)).bytes == 0);
}

TEST_CASE("win32 seqpacket: a send that times out, or is left in flight, leaks no handle") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalSeqpacket::pair();
    const OwnedHandle file = testing::file_with("f");
    const std::string filler(60000, 'f');
    std::error_code ec;
    SUBCASE("blocking: the write timeout") {
        a.set_write_timeout(100ms);
        std::size_t queued = 0;
        // Fill the pipe until a send waits for the reader.
        for (; queued < 8; ++queued) {
            a.send(filler, {file.borrow()}, ec);
            if (ec)
                break;
        }
        CHECK(ec == std::errc::timed_out);
        // The copies of the handle in the message that did not go out were
        // closed (the leak check sees this process's handles: a pair is in one process).
        std::array<char, 8> data{};
        std::vector<OwnedHandle> handles;
        for (std::size_t i = 0; i < queued; ++i) {
            const ReceiveResult r = b.receive(buffer(data), handles);
            CHECK(r.message_size == filler.size());
        }
        CHECK(handles.size() == queued);
    }
    SUBCASE("non-blocking: in flight, would_block, then cancelled by the destructor") {
        a.set_nonblocking(true);
        std::size_t sent = 0;
        for (; sent < 8; ++sent) {
            a.send(filler, {file.borrow()}, ec);
            if (ec)
                break;
        }
        CHECK(ec == std::errc::operation_would_block);
        CHECK(sent >= 1);
        a = LocalSeqpacket(); // cancels the write in flight: its handle copy is closed
        b = LocalSeqpacket(); // closes the copies in the messages never read
    }
    SUBCASE("non-blocking: the reader catches up and the next send goes") {
        a.set_nonblocking(true);
        a.send(filler, {file.borrow()});
        a.send(filler, ec); // may or may not fit: either way nothing is lost
        const bool second_sent = !ec;
        std::array<char, 8> data{};
        std::vector<OwnedHandle> handles;
        CHECK(b.receive(buffer(data), handles).message_size == filler.size());
        if (second_sent)
            CHECK(b.receive(buffer(data), handles).message_size == filler.size());
        ::Sleep(20);
        a.send("after", ec);
        for (int i = 0; i < 100 && ec == std::errc::operation_would_block; ++i) {
            ::Sleep(10);
            a.send("after", ec);
        }
        CHECK_FALSE(ec);
        std::array<char, 64> text_data{};
        CHECK(text(text_data, b.receive(buffer(text_data))) == "after");
        CHECK(handles.size() == 1);
    }
}

TEST_CASE("win32 seqpacket: unread messages with handles are closed with the connection") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalSeqpacket::pair();
    const OwnedHandle file = testing::file_with("f");
    for (int i = 0; i < 3; ++i)
        a.send("unread", {file.borrow(), file.borrow()});
    b = LocalSeqpacket(); // the six copies in this process are found and closed
}

TEST_CASE("win32 seqpacket: listeners are locked down as stream listeners are") {
    const testing::HandleLeakCheck leaks;
    SUBCASE("a name taken by another pipe server cannot be bound") {
        const LocalSocketName name = testing::unique_namespaced_name("seq-squat");
        const OwnedHandle squatter = raw_message_server(name);
        std::error_code ec;
        const LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name, ec);
        CHECK(ec == std::errc::address_in_use);
        CHECK_FALSE(listener.is_open());
    }
    SUBCASE("the first instance is exclusive") {
        const LocalSocketName name = testing::unique_namespaced_name("seq-first");
        const LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name);
        const OwnedHandle second(::CreateNamedPipeW(wide_pipe_path(name).c_str(),
                                                    PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE,
                                                    PIPE_TYPE_MESSAGE, PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, nullptr));
        if (second.valid() && testing::running_under_wine())
            warn_not_enforced("FILE_FLAG_FIRST_PIPE_INSTANCE");
        else
            CHECK_FALSE(second.valid());
    }
    SUBCASE("default security: the user, SYSTEM and administrators") {
        const LocalSeqpacketListener listener = LocalSeqpacketListener::bind(testing::unique_namespaced_name("seq-dacl"));
        const std::string dacl = dacl_of(listener.native_handle());
        CAPTURE(dacl);
        CHECK(dacl.find("D:P") == 0);
        CHECK(dacl.find(";;;SY)") != std::string::npos);
        CHECK(dacl.find(";;;BA)") != std::string::npos);
        CHECK(dacl.find(";;;WD)") == std::string::npos);
    }
    SUBCASE("an SDDL option") {
        const LocalSeqpacketListener open_to_all = LocalSeqpacketListener::bind(
            testing::unique_namespaced_name("seq-sddl"), {.security_descriptor = "D:(A;;GA;;;WD)"});
        CHECK(dacl_of(open_to_all.native_handle()).find(";;;WD)") != std::string::npos);
    }
    SUBCASE("a busy server makes connect wait, within busy_timeout") {
        const LocalSocketName name = testing::unique_namespaced_name("seq-busy");
        LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name, {.backlog = 1});
        LocalSeqpacket first = LocalSeqpacket::connect(name);
        std::error_code ec;
        const LocalSeqpacket refused = LocalSeqpacket::connect(name, {.busy_timeout = 100ms}, ec);
        CHECK(ec == std::errc::timed_out);
        LocalSeqpacket served = listener.accept();
        LocalSeqpacket second = LocalSeqpacket::connect(name, {.busy_timeout = 5s});
        second.send("in");
        std::array<char, 64> data{};
        CHECK(text(data, listener.accept().receive(buffer(data))) == "in");
    }
    SUBCASE("a stream listener is the wrong type") {
        const LocalSocketName name = testing::unique_namespaced_name("seq-wrong");
        LocalListener streams = LocalListener::bind(name);
        std::error_code ec;
        const LocalSeqpacket socket = LocalSeqpacket::connect(name, ec);
        CHECK(ec == std::errc::wrong_protocol_type);
        CHECK_FALSE(socket.is_open());
    }
}

TEST_CASE("win32 seqpacket: credentials, process, release, adopt") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalSeqpacket::pair();
    const PeerCredentials peer = a.peer_credentials();
    CHECK(peer.pid == testing::current_pid());
    CHECK(peer.user_sid.rfind("S-1-", 0) == 0);
    CHECK_FALSE(peer.uid.has_value());
    const OwnedHandle process = b.peer_process();
    CHECK(testing::process_id_of(process) == testing::current_pid());

    std::error_code ec;
    a.set_receive_credentials(true, ec);
    CHECK(ec == std::errc::not_supported);
    ancillary::Builder control;
    a.send("x", control, ec);
    CHECK(ec == std::errc::not_supported);
    ancillary::Received received;
    std::array<char, 8> data{};
    (void)a.receive(buffer(data), received, ReceiveFlags::none, ec);
    CHECK(ec == std::errc::not_supported);

    OwnedHandle raw = b.release();
    CHECK(raw.valid());
    CHECK_FALSE(b.is_open());
    LocalSeqpacket::adopt(std::move(raw), ec);
    CHECK(ec == std::errc::not_supported);
    auto [pipe_read, pipe_write] = testing::make_pipe();
    LocalSeqpacketListener::adopt(std::move(pipe_read), ec);
    CHECK(ec == std::errc::not_supported);
}

TEST_CASE("win32: datagrams are not supported") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("dgram");
    std::error_code ec;
    CHECK_FALSE(LocalDatagram::bind(name, ec).is_open());
    CHECK(ec == std::errc::not_supported);
    CHECK_FALSE(LocalDatagram::unbound(ec).is_open());
    CHECK(ec == std::errc::not_supported);
    CHECK_FALSE(LocalDatagram::autobind(ec).is_open());
    CHECK(ec == std::errc::not_supported);
    auto [x, y] = LocalDatagram::pair(ec);
    CHECK(ec == std::errc::not_supported);
    CHECK_FALSE(x.is_open());
    auto [pipe_read, pipe_write] = testing::make_pipe();
    CHECK_FALSE(LocalDatagram::adopt(std::move(pipe_read), ec).is_open());
    CHECK(ec == std::errc::not_supported);

    CHECK_THROWS_AS(LocalDatagram::bind(name), std::system_error);
    try {
        (void)LocalDatagram::pair();
        FAIL("a datagram pair on Windows");
    } catch (const std::system_error& e) {
        CHECK(e.code() == std::errc::not_supported);
    }
    LocalDatagram socket;
    std::array<char, 8> data{};
    std::vector<OwnedHandle> handles;
    LocalSocketName sender;
    socket.send("x", ec);
    CHECK(ec == std::errc::not_supported);
    socket.send_to(name, "x", {}, ec);
    CHECK(ec == std::errc::not_supported);
    (void)socket.receive(buffer(data), handles, ec);
    CHECK(ec == std::errc::not_supported);
    (void)socket.receive_from(buffer(data), sender, ec);
    CHECK(ec == std::errc::not_supported);
    (void)socket.next_message_size(ec);
    CHECK(ec == std::errc::not_supported);
    socket.set_receive_timestamps(true, ec);
    CHECK(ec == std::errc::not_supported);
    CHECK_THROWS_AS(socket.send("x"), std::system_error);
    CHECK(socket.release().valid() == false);
    CHECK(socket.native_handle() == invalid_native_handle);
}

TEST_CASE("win32: ancillary data is not supported; a Received stays empty") {
    const testing::HandleLeakCheck leaks;
    const OwnedHandle file = testing::file_with("f");
    ancillary::Builder builder;
    std::error_code ec;
    const BorrowedHandle lent[] = {file.borrow()};
    CHECK_FALSE(builder.add_handles(lent, ec));
    CHECK(ec == std::errc::not_supported);
    CHECK_FALSE(builder.add_credentials(ancillary::own_credentials(), ec));
    CHECK(ec == std::errc::not_supported);
    const std::array<std::byte, 4> payload{};
    CHECK_FALSE(builder.add(1, 2, payload, ec));
    CHECK(ec == std::errc::not_supported);
    CHECK_THROWS_AS(builder.add_handles(lent), std::system_error);
    CHECK(builder.empty());
    CHECK(ancillary::own_credentials().pid == testing::current_pid());

    ancillary::Received received;
    CHECK(received.begin() == received.end());
    CHECK(received.empty());
    CHECK_FALSE(received.truncated());
    CHECK(received.handle_count() == 0);
    std::vector<OwnedHandle> taken;
    CHECK(received.take_handles(taken, ec));
    CHECK_FALSE(ec);
    CHECK(taken.empty());
    CHECK(received.take_handles().empty());
    CHECK_FALSE(received.credentials().has_value());
    CHECK_FALSE(received.timestamp().has_value());
    CHECK_FALSE(received.find(1, 2).has_value());
    CHECK_FALSE(received.get<int>(1, 2).has_value());
    int count = 0;
    for (const auto& message : received) {
        (void)message;
        ++count;
    }
    CHECK(count == 0);
    received.clear();

    auto [a, b] = LocalStream::pair();
    CHECK(a.send("x", builder, ec) == 0);
    CHECK(ec == std::errc::not_supported);
    std::array<char, 8> data{};
    (void)b.receive(buffer(data), received, ReceiveFlags::peek, ec);
    CHECK(ec == std::errc::not_supported);
    a.set_receive_credentials(true, ec);
    CHECK(ec == std::errc::not_supported);
    CHECK_THROWS_AS(a.set_receive_credentials(true), std::system_error);
}

} // TEST_SUITE
