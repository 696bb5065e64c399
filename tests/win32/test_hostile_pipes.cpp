// Hostile-peer tests (Windows): a number read from a pipe never becomes, and
// never closes, a handle of the receiver unless the peer provably had the
// power to put it there (docs/wire-format.md, "Trust"). A raw peer sends the
// receiver's own handle values, a spray of guesses, repeated values and
// pseudo-handles — pushed (values in the receiver's table, from a peer the
// receiver has not verified) and pulled (values in the peer's table, taken
// from a child process) — through every receive form and through
// close-with-frames-unread; afterwards every handle the receiver owned still
// works. Also the honest path in both modes, with a child using what it got,
// and the close-time drain of a stream (finding 2 of issue 9).
#include <doctest/doctest.h>

#include "../support/process.hpp"
#include "../support/resources.hpp"
#include "raw_pipes.hpp"

#include <localsock/localsock.hpp>

#include <windows.h>

#include <array>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

using namespace localsock;
using testing::win32::frame_header;
using testing::win32::frame_magic;
using testing::win32::frame_value;
using testing::win32::frame_version;
using testing::win32::table_receiver;
using testing::win32::table_sender;
using testing::win32::wide_pipe_path;

namespace {

std::uint64_t value_of(HANDLE handle) { return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(handle)); }

// One data frame: header, values, payload.
std::string frame(std::uint32_t table, const std::vector<std::uint64_t>& values, const std::string& payload) {
    std::string bytes = frame_header(frame_magic, frame_version, 1, static_cast<std::uint16_t>(values.size()),
                                     static_cast<std::uint32_t>(payload.size()), table);
    for (const std::uint64_t v : values)
        bytes += frame_value(v);
    return bytes + payload;
}

std::string to_hex(const std::string& bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string hex;
    for (const unsigned char c : bytes) {
        hex += digits[c >> 4];
        hex += digits[c & 15];
    }
    return hex;
}

std::string from_hex(const std::string& hex) {
    std::string bytes;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    return bytes;
}

// Waits until bytes are queued on `pipe` (what a peer wrote has arrived).
void wait_for_bytes(native_handle_type pipe) {
    for (int i = 0; i < 1000; ++i) {
        DWORD available = 0;
        REQUIRE(::PeekNamedPipe(pipe, nullptr, 0, nullptr, &available, nullptr));
        if (available > 0)
            return;
        ::Sleep(10);
    }
    FAIL("the peer's bytes never came");
}

// True when every write end of an anonymous pipe is closed; never waits.
bool writers_gone(const OwnedHandle& read_end) {
    DWORD available = 0;
    return !::PeekNamedPipe(read_end.get(), nullptr, 0, nullptr, &available, nullptr) &&
           ::GetLastError() == ERROR_BROKEN_PIPE;
}

// What the receiver owns, and must still own, working, after the attack.
struct Belongings {
    OwnedHandle event{::CreateEventW(nullptr, TRUE, FALSE, nullptr)};
    std::pair<OwnedHandle, OwnedHandle> pipe = testing::make_pipe();
    OwnedHandle file = testing::file_with("still here");
    HANDLE out = ::GetStdHandle(STD_OUTPUT_HANDLE);

    // The values of all of them, and of `more` (the listener, the connection).
    std::vector<std::uint64_t> values(std::initializer_list<native_handle_type> more) const {
        std::vector<std::uint64_t> v{value_of(event.get()), value_of(pipe.first.get()), value_of(pipe.second.get()),
                                     value_of(file.get())};
        if (out != nullptr && out != INVALID_HANDLE_VALUE)
            v.push_back(value_of(out));
        for (const native_handle_type h : more)
            v.push_back(value_of(h));
        return v;
    }

    // Used, each one: a closed handle would fail here.
    void check_all_work() const {
        CHECK(::SetEvent(event.get()));
        CHECK(::WaitForSingleObject(event.get(), 0) == WAIT_OBJECT_0);
        CHECK(::ResetEvent(event.get()));
        testing::write_handle(pipe.second, "ping");
        CHECK(testing::read_handle(pipe.first, 4) == "ping");
        CHECK(testing::read_whole_file(file) == "still here");
        if (out != nullptr && out != INVALID_HANDLE_VALUE) {
            DWORD written = 0;
            CHECK(::WriteFile(out, "", 0, &written, nullptr));
        }
    }
};

// The 253 guesses 4, 8, ..., 1012 (every small handle value).
std::vector<std::uint64_t> spray() {
    std::vector<std::uint64_t> v;
    for (std::uint64_t x = 4; x <= 1012; x += 4)
        v.push_back(x);
    return v;
}

enum class Form { read_some, receive, over_limit, close_unread };
const char* form_name(Form form) {
    switch (form) {
        case Form::read_some: return "read_some";
        case Form::receive: return "receive";
        case Form::over_limit: return "over limit";
        case Form::close_unread: return "close unread";
    }
    return "?";
}
constexpr std::array<Form, 4> all_forms{Form::read_some, Form::receive, Form::over_limit, Form::close_unread};

// One receive of the hostile frame in `form`; the error it gave.
std::error_code receive_stream(LocalStream& victim, Form form) {
    std::array<char, 64> data{};
    std::vector<OwnedHandle> handles;
    std::error_code ec;
    wait_for_bytes(victim.native_handle());
    switch (form) {
        case Form::read_some: victim.read_some(buffer(data), ec); break;
        case Form::over_limit: victim.set_max_handles_per_receive(1); [[fallthrough]];
        case Form::receive: victim.receive(buffer(data), handles, ec); break;
        case Form::close_unread: victim = LocalStream(); break;
    }
    return ec; // handles a pulling receive took (the peer's own) are closed here
}

std::error_code receive_seqpacket(LocalSeqpacket& victim, Form form) {
    std::array<char, 64> data{};
    std::vector<OwnedHandle> handles;
    std::error_code ec;
    wait_for_bytes(victim.native_handle());
    switch (form) {
        case Form::read_some: (void)victim.receive(buffer(data), ec); break; // the form that takes no handles
        case Form::over_limit: victim.set_max_handles_per_receive(1); [[fallthrough]];
        case Form::receive: (void)victim.receive(buffer(data), handles, ec); break;
        case Form::close_unread: victim = LocalSeqpacket(); break;
    }
    return ec;
}

// A second client gets through: the listener still works.
template <class Listener, class Connection>
void check_listener_works(Listener& listener, const LocalSocketName& name) {
    Connection client = Connection::connect(name);
    Connection server = listener.accept();
    std::array<char, 2> reply{};
    if constexpr (std::is_same_v<Connection, LocalStream>) {
        server.write_all("ok");
        client.read_exact(buffer(reply));
    } else {
        server.send("ok");
        (void)client.receive(buffer(reply));
    }
    CHECK(std::string(reply.data(), 2) == "ok");
}

// Options of a receiver that cannot verify a pushing peer (another user, or
// a client of an elevated service): forced, since Wine checks no access.
ListenerOptions unverified() {
    ListenerOptions options;
    options.pushed_handles = PushedHandles::refuse;
    return options;
}

} // namespace

// Child: a raw pipe client that writes the bytes it is given (hex) as one
// write (one message, in message mode), then holds its end open until the
// receiver closes the pipe, so that a receiver pulling from it finds it alive.
CHILD_ROLE(hostile_raw_peer) {
    const LocalSocketName name = LocalSocketName::parse(args.at(0));
    const HANDLE pipe = ::CreateFileW(wide_pipe_path(name).c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr,
                                      OPEN_EXISTING, 0, nullptr);
    CHILD_REQUIRE(pipe != INVALID_HANDLE_VALUE);
    if (args.at(1) == "message") {
        DWORD mode = PIPE_READMODE_MESSAGE;
        CHILD_REQUIRE(::SetNamedPipeHandleState(pipe, &mode, nullptr, nullptr));
    }
    const std::string bytes = from_hex(args.at(2));
    DWORD written = 0;
    CHILD_REQUIRE(::WriteFile(pipe, bytes.data(), static_cast<DWORD>(bytes.size()), &written, nullptr));
    CHILD_REQUIRE(written == bytes.size());
    char scratch[64];
    DWORD got = 0;
    while (::ReadFile(pipe, scratch, sizeof scratch, &got, nullptr)) {
    }
    ::CloseHandle(pipe);
    return 0;
}

// Child: the honest path. Receives an event from the parent and sets it,
// then sends an event of its own and waits for the parent to set it; its
// transfer mode is args[2] ("pull" or "push"), as the parent's is.
CHILD_ROLE(honest_peer) {
    const LocalSocketName name = LocalSocketName::parse(args.at(0));
    ConnectOptions options;
    options.handle_transfer = args.at(2) == "push" ? HandleTransfer::push : HandleTransfer::pull;
    const OwnedHandle mine(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
    std::vector<OwnedHandle> handles;
    char tag = 0;
    auto exchange = [&](auto& connection) {
        if constexpr (std::is_same_v<std::decay_t<decltype(connection)>, LocalStream>)
            CHILD_REQUIRE(connection.receive(MutableBuffer(&tag, 1), handles) == 1);
        else
            CHILD_REQUIRE(connection.receive(MutableBuffer(&tag, 1), handles).bytes == 1);
        CHILD_REQUIRE(handles.size() == 1);
        CHILD_REQUIRE(::SetEvent(handles[0].get()));
        connection.send("c", {mine.borrow()});
        CHILD_REQUIRE(::WaitForSingleObject(mine.get(), 10000) == WAIT_OBJECT_0);
    };
    if (args.at(1) == "stream") {
        LocalStream stream = LocalStream::connect(name, options);
        exchange(stream);
    } else {
        LocalSeqpacket socket = LocalSeqpacket::connect(name, options);
        exchange(socket);
    }
    return 0;
}

// The four pushed-frame attacks on a victim whose own handle values are
// `own` (at least two): the frame, and whether it is well formed (a
// well-formed one is refused as unverified, a malformed one as a protocol error).
std::pair<std::string, bool> pushed_attack(int attack, const std::vector<std::uint64_t>& own) {
    switch (attack) {
        case 0: return {frame(table_receiver, own, "mine"), true};      // our own values
        case 1: return {frame(table_receiver, spray(), "mine"), true};  // 253 guesses
        case 2: return {frame(table_receiver, {own[0], own[1], own[0]}, "mine"), false}; // the same value twice
        default: // pseudo-handles, zero-extended to 32 bits, and a kernel-handle form
            return {frame(table_receiver, {0xFFFFFFFC, 0xFFFFFFF8, 0xFFFFFFF4, 0x80000000}, "mine"), false};
    }
}

TEST_SUITE("ipc") {

TEST_CASE("win32 hostile: pushed values from an unverified peer are neither owned nor closed (stream)") {
    for (const Form form : all_forms) {
        for (int attack = 0; attack < 4; ++attack) {
            CAPTURE(form_name(form));
            CAPTURE(attack);
            const testing::HandleLeakCheck leaks;
            const LocalSocketName name = testing::unique_namespaced_name("hostile-push");
            LocalListener listener = LocalListener::bind(name, unverified());
            const OwnedHandle attacker = testing::win32::raw_client(name);
            LocalStream victim = listener.accept();
            const Belongings own;
            const auto own_values = own.values({listener.native_handle(), victim.native_handle()});
            const auto [bytes, well_formed] = pushed_attack(attack, own_values);
            testing::write_handle(attacker, bytes);
            const std::error_code ec = receive_stream(victim, form);
            if (form != Form::close_unread)
                CHECK(ec == (well_formed ? std::make_error_code(std::errc::permission_denied)
                                         : make_error_code(errc::protocol_error)));
            own.check_all_work();
            check_listener_works<LocalListener, LocalStream>(listener, name);
        }
    }
}

TEST_CASE("win32 hostile: pushed values from an unverified peer are neither owned nor closed (seqpacket)") {
    for (const Form form : all_forms) {
        for (int attack = 0; attack < 4; ++attack) {
            CAPTURE(form_name(form));
            CAPTURE(attack);
            const testing::HandleLeakCheck leaks;
            const LocalSocketName name = testing::unique_namespaced_name("hostile-seq-push");
            LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name, unverified());
            const OwnedHandle attacker = testing::win32::raw_client(name, true);
            LocalSeqpacket victim = listener.accept();
            const Belongings own;
            const auto own_values = own.values({listener.native_handle(), victim.native_handle()});
            const auto [bytes, well_formed] = pushed_attack(attack, own_values);
            testing::write_handle(attacker, bytes); // one write: one message
            const std::error_code ec = receive_seqpacket(victim, form);
            if (form != Form::close_unread)
                CHECK(ec == (well_formed ? std::make_error_code(std::errc::permission_denied)
                                         : make_error_code(errc::protocol_error)));
            own.check_all_work();
            check_listener_works<LocalSeqpacketListener, LocalSeqpacket>(listener, name);
        }
    }
}

TEST_CASE("win32 hostile: pulled values are taken from the sender's table, never ours") {
    // A child sends our own values and a spray, as values in ITS table: the
    // receiver can only take (or close) what the child holds.
    for (const bool message : {false, true}) {
        for (const Form form : all_forms) {
            for (int attack = 0; attack < 2; ++attack) {
                CAPTURE(message);
                CAPTURE(form_name(form));
                CAPTURE(attack);
                const testing::HandleLeakCheck leaks;
                const LocalSocketName name = testing::unique_namespaced_name("hostile-pull");
                const Belongings own;
                std::error_code ec;
                if (!message) {
                    LocalListener listener = LocalListener::bind(name);
                    const auto values = attack == 0 ? own.values({listener.native_handle()}) : spray();
                    auto child = testing::ChildProcess::spawn(
                        "hostile_raw_peer", {name.to_string(), "byte", to_hex(frame(table_sender, values, "mine"))});
                    {
                        LocalStream victim = listener.accept();
                        ec = receive_stream(victim, form);
                    }
                    child.wait(); // its own handles at those values are gone: its exit is its business
                    own.check_all_work();
                    check_listener_works<LocalListener, LocalStream>(listener, name);
                } else {
                    LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name);
                    const auto values = attack == 0 ? own.values({listener.native_handle()}) : spray();
                    auto child = testing::ChildProcess::spawn(
                        "hostile_raw_peer", {name.to_string(), "message", to_hex(frame(table_sender, values, "mine"))});
                    {
                        LocalSeqpacket victim = listener.accept();
                        ec = receive_seqpacket(victim, form);
                    }
                    child.wait(); // its own handles at those values are gone: its exit is its business
                    own.check_all_work();
                    check_listener_works<LocalSeqpacketListener, LocalSeqpacket>(listener, name);
                }
                // Whatever the child held at those values was taken and
                // closed (or, being absent, reported): never an error that
                // says the frame was ours to refuse.
                if (form == Form::over_limit)
                    CHECK(ec == errc::handles_truncated);
                else if (form != Form::close_unread)
                    CHECK((!ec || ec == errc::handles_truncated));
            }
        }
    }
}

TEST_CASE("win32 hostile: the honest path works pulled and pushed, with a child using what it got") {
    for (const char* type : {"stream", "seqpacket"}) {
        for (const HandleTransfer transfer : {HandleTransfer::pull, HandleTransfer::push}) {
            const char* mode = transfer == HandleTransfer::push ? "push" : "pull";
            CAPTURE(type);
            CAPTURE(mode);
            const testing::HandleLeakCheck leaks;
            const LocalSocketName name = testing::unique_namespaced_name("honest");
            ListenerOptions options;
            options.handle_transfer = transfer;
            const OwnedHandle event(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
            std::vector<OwnedHandle> handles;
            char tag = 0;
            if (std::string(type) == "stream") {
                LocalListener listener = LocalListener::bind(name, options);
                auto child = testing::ChildProcess::spawn("honest_peer", {name.to_string(), type, mode});
                LocalStream stream = listener.accept();
                stream.send("p", {event.borrow()});
                CHECK(::WaitForSingleObject(event.get(), 10000) == WAIT_OBJECT_0);
                CHECK(stream.receive(MutableBuffer(&tag, 1), handles) == 1); // pushed: verified first
                REQUIRE(handles.size() == 1);
                CHECK(::SetEvent(handles[0].get()));
                CHECK(child.wait() == 0);
            } else {
                LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name, options);
                auto child = testing::ChildProcess::spawn("honest_peer", {name.to_string(), type, mode});
                LocalSeqpacket socket = listener.accept();
                socket.send("p", {event.borrow()});
                CHECK(::WaitForSingleObject(event.get(), 10000) == WAIT_OBJECT_0);
                CHECK(socket.receive(MutableBuffer(&tag, 1), handles).bytes == 1);
                REQUIRE(handles.size() == 1);
                CHECK(::SetEvent(handles[0].get()));
                CHECK(child.wait() == 0);
            }
        }
    }
}

TEST_CASE("win32 hostile: a stream closed with unread frames closes the handles of every frame, "
          "also after one over the limit") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    b.set_max_handles_per_receive(1);
    const OwnedHandle file = testing::file_with("x");
    auto [read_1, write_1] = testing::make_pipe();
    auto [read_2, write_2] = testing::make_pipe();
    a.send("over", {file.borrow(), file.borrow()}); // more than b accepts
    a.send("1", {write_1.borrow()});
    a.send("2", {write_2.borrow()});
    write_1.reset();
    write_2.reset();
    wait_for_bytes(b.native_handle());
    b = LocalStream(); // every copy of the write ends is closed: the readers see the end
    CHECK(writers_gone(read_1));
    CHECK(writers_gone(read_2));
}

} // TEST_SUITE
