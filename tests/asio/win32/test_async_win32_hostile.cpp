// Async tests (Windows): hostile peers through the completion-port path.
// The cases of tests/win32/test_pipes.cpp, test_seqpacket_pipes.cpp and
// test_hostile_pipes.cpp, received with async_receive / async_read_some:
// a raw peer sends malformed frames, forged handle values (the receiver's
// own, a spray of guesses, repeats, pseudo-handles), more handles than the
// receiver takes, or dies in the middle of a frame. The async receive
// reports what the sync one does, and leaks nothing; every handle the
// receiver owned still works. Callback tokens only (tests/meson.build).
#include "async_win32_support.hpp"

#include "../../support/process.hpp"
#include "../../support/resources.hpp"
#include "../../win32/raw_pipes.hpp"

#include <localsock/asio.hpp>
#include <localsock/localsock.hpp>

#include <windows.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

using namespace localsock;
using testing::TokenKind;
using testing::win32::frame_header;
using testing::win32::frame_magic;
using testing::win32::frame_value;
using testing::win32::frame_version;
using testing::win32::raw_client;
using testing::win32::table_receiver;
using testing::win32::table_sender;
using testing::win32::wide_pipe_path;
using testing::win32_async::writers_gone;

namespace {

std::uint64_t value_of(HANDLE handle) { return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(handle)); }

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

// The 253 guesses 4, 8, ..., 1012 (every small handle value).
std::vector<std::uint64_t> spray() {
    std::vector<std::uint64_t> v;
    for (std::uint64_t x = 4; x <= 1012; x += 4)
        v.push_back(x);
    return v;
}

constexpr std::uint64_t current_process = ~std::uint64_t{0}, current_thread = ~std::uint64_t{1};

struct Case {
    const char* what;
    std::string bytes;
};

// test_pipes.cpp's corrupt stream frames.
std::vector<Case> corrupt_stream_frames() {
    return {
        {"wrong magic", frame_header(0xDEADBEEF, frame_version, 1, 0, 4)},
        {"unknown version", frame_header(frame_magic, 9, 1, 0, 4)},
        {"more handles than any message may carry", frame_header(frame_magic, frame_version, 1, 300, 4, table_receiver)},
        {"a data frame without data", frame_header(frame_magic, frame_version, 1, 0, 0)},
        {"a payload length past the format's limit", frame_header(frame_magic, frame_version, 1, 0, 0xFFFFFFFF)},
        {"pseudo-handle values", frame_header(frame_magic, frame_version, 1, 2, 4, table_receiver) +
                                     frame_value(current_process) + frame_value(current_thread) + "data"},
    };
}

// test_seqpacket_pipes.cpp's corrupt messages.
std::vector<Case> corrupt_messages() {
    return {
        {"wrong magic", frame_header(0xDEADBEEF, frame_version, 1, 0, 4) + "data"},
        {"unknown version", frame_header(frame_magic, 9, 1, 0, 4) + "data"},
        {"unknown kind", frame_header(frame_magic, frame_version, 7, 0, 4) + "data"},
        {"reserved bytes set", frame_header(frame_magic, frame_version, 1, 0, 4, 0x100) + "data"},
        {"shorter than a header", "LSK1"},
        {"more handles than any message may carry",
         frame_header(frame_magic, frame_version, 1, 300, 4, table_receiver) + std::string(300 * 8, '\x04') + "data"},
        {"fewer handle values than announced",
         frame_header(frame_magic, frame_version, 1, 3, 4, table_receiver) + frame_value(0x40)},
        {"pseudo-handle values", frame_header(frame_magic, frame_version, 1, 2, 4, table_receiver) +
                                     frame_value(current_process) + frame_value(current_thread) + "data"},
        {"a value that is not a multiple of 4, or too wide",
         frame_header(frame_magic, frame_version, 1, 2, 4, table_receiver) + frame_value(0x41) +
             frame_value(0x100000000) + "data"},
        {"a payload longer than announced", frame_header(frame_magic, frame_version, 1, 0, 4) + "data+"},
        {"a payload shorter than announced", frame_header(frame_magic, frame_version, 1, 0, 9) + "data"},
        {"a data frame without data", frame_header(frame_magic, frame_version, 1, 0, 0)},
        {"an end-of-stream frame with content", frame_header(frame_magic, frame_version, 2, 0, 0) + "x"},
        {"a payload length past the format's limit",
         frame_header(frame_magic, frame_version, 1, 0, 0xFFFFFFFF) + "data"},
    };
}

// What the receiver owns, and must still own, working, after the attack.
struct Belongings {
    OwnedHandle event{::CreateEventW(nullptr, TRUE, FALSE, nullptr)};
    std::pair<OwnedHandle, OwnedHandle> pipe = testing::make_pipe();
    OwnedHandle file = testing::file_with("still here");

    std::vector<std::uint64_t> values(std::initializer_list<native_handle_type> more) const {
        std::vector<std::uint64_t> v{value_of(event.get()), value_of(pipe.first.get()), value_of(pipe.second.get()),
                                     value_of(file.get())};
        for (const native_handle_type h : more)
            v.push_back(value_of(h));
        return v;
    }

    void check_all_work() const {
        CHECK(::SetEvent(event.get()));
        CHECK(::WaitForSingleObject(event.get(), 0) == WAIT_OBJECT_0);
        CHECK(::ResetEvent(event.get()));
        testing::write_handle(pipe.second, "ping");
        CHECK(testing::read_handle(pipe.first, 4) == "ping");
        CHECK(testing::read_whole_file(file) == "still here");
    }
};

// test_hostile_pipes.cpp's pushed attacks on a victim whose own values are
// `own`: the frame, and whether it is well formed (refused as unverified:
// permission_denied) or not (protocol_error).
std::pair<std::string, bool> pushed_attack(int attack, const std::vector<std::uint64_t>& own) {
    switch (attack) {
        case 0: return {frame(table_receiver, own, "mine"), true};
        case 1: return {frame(table_receiver, spray(), "mine"), true};
        case 2: return {frame(table_receiver, {own[0], own[1], own[0]}, "mine"), false};
        default: return {frame(table_receiver, {0xFFFFFFFC, 0xFFFFFFF8, 0xFFFFFFF4, 0x80000000}, "mine"), false};
    }
}

ListenerOptions unverified() {
    ListenerOptions options;
    options.pushed_handles = PushedHandles::refuse;
    return options;
}

// The receive forms: the one that takes no handles, the one that does, and
// that one over its limit.
enum class Form { plain, handles, over_limit };
constexpr std::array<Form, 3> all_forms{Form::plain, Form::handles, Form::over_limit};
const char* form_name(Form form) {
    return form == Form::plain ? "no handles" : form == Form::handles ? "handles" : "over limit";
}

// One async receive in `form`; its error. Handles a pulling receive took
// (the peer's own) are closed here.
net_error_code receive(net::io_context& context, AsyncStream<>& victim, Form form) {
    std::array<char, 64> data{};
    std::vector<OwnedHandle> handles;
    if (form == Form::over_limit)
        victim.sync().set_max_handles_per_receive(1);
    if (form == Form::plain)
        return testing::complete_with<std::size_t, TokenKind::callback>(context, [&](auto token) {
                   return victim.async_read_some(net::buffer(data), token);
               }).ec;
    return testing::complete_with<std::size_t, TokenKind::callback>(context, [&](auto token) {
               return victim.async_receive(net::buffer(data), handles, token);
           }).ec;
}

net_error_code receive(net::io_context& context, AsyncSeqpacket<>& victim, Form form) {
    std::array<char, 64> data{};
    std::vector<OwnedHandle> handles;
    if (form == Form::over_limit)
        victim.sync().set_max_handles_per_receive(1);
    if (form == Form::plain)
        return testing::complete_with<ReceiveResult, TokenKind::callback>(context, [&](auto token) {
                   return victim.async_receive(net::buffer(data), token);
               }).ec;
    auto got = testing::complete_with<ReceiveResult, TokenKind::callback>(context, [&](auto token) {
        return victim.async_receive(net::buffer(data), handles, token);
    });
    if (testing::std_error(got.ec) == errc::protocol_error)
        CHECK(got.value->bytes == 0);
    return got.ec;
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

} // namespace

// Child: a raw pipe client that writes the bytes it is given (hex) as one
// write, then (args[2] == "die") dies at once, or holds its end open until
// the receiver closes the pipe, so that a receiver pulling from it finds it
// alive.
CHILD_ROLE(async_hostile_raw_peer) {
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
    if (args.at(3) == "die")
        testing::die_abruptly();
    char scratch[64];
    DWORD got = 0;
    while (::ReadFile(pipe, scratch, sizeof scratch, &got, nullptr)) {
    }
    ::CloseHandle(pipe);
    return 0;
}

TEST_SUITE("async") {

TEST_CASE("async win32 hostile: a corrupt stream frame is a protocol error, and stays one") {
    for (const Case& c : corrupt_stream_frames()) {
        CAPTURE(c.what);
        const testing::HandleLeakCheck leaks;
        net::io_context context;
        const LocalSocketName name = testing::unique_namespaced_name("async-hostile");
        LocalListener listener = LocalListener::bind(name);
        const OwnedHandle attacker = raw_client(name);
        AsyncStream<> victim(context, listener.accept());
        testing::write_handle(attacker, c.bytes);
        std::array<char, 64> data{};
        std::vector<OwnedHandle> handles;
        for (int i = 0; i < 2; ++i) {
            auto got = testing::complete_with<std::size_t, TokenKind::callback>(context, [&](auto token) {
                return victim.async_receive(net::buffer(data), handles, token);
            });
            CHECK(testing::std_error(got.ec) == errc::protocol_error);
            CHECK(*got.value == 0);
            CHECK(handles.empty());
        }
    }
}

TEST_CASE("async win32 hostile: a corrupt message is a protocol error, and so is the good one after it") {
    for (const Case& c : corrupt_messages()) {
        CAPTURE(c.what);
        const testing::HandleLeakCheck leaks;
        net::io_context context;
        const LocalSocketName name = testing::unique_namespaced_name("async-seq-hostile");
        LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name);
        const OwnedHandle attacker = raw_client(name, true);
        AsyncSeqpacket<> victim(context, listener.accept());
        testing::write_handle(attacker, c.bytes);
        testing::write_handle(attacker, frame_header(frame_magic, frame_version, 1, 0, 4) + "good");
        std::array<char, 64> data{};
        std::vector<OwnedHandle> handles;
        for (int i = 0; i < 2; ++i) {
            auto got = testing::complete_with<ReceiveResult, TokenKind::callback>(context, [&](auto token) {
                return victim.async_receive(net::buffer(data), handles, token);
            });
            CHECK(testing::std_error(got.ec) == errc::protocol_error);
            CHECK(got.value->bytes == 0);
            CHECK(handles.empty());
        }
    }
}

TEST_CASE("async win32 hostile: a peer process dying in the middle of a frame ends the stream") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    const LocalSocketName name = testing::unique_namespaced_name("async-cut");
    LocalListener listener = LocalListener::bind(name);
    const std::string part = frame_header(frame_magic, frame_version, 1, 0, 100).substr(0, 10);
    auto child = testing::ChildProcess::spawn("async_hostile_raw_peer", {name.to_string(), "byte", to_hex(part), "die"});
    AsyncStream<> victim(context, listener.accept());
    std::array<char, 8> data{};
    std::vector<OwnedHandle> handles;
    auto got = testing::complete_with<std::size_t, TokenKind::callback>(context, [&](auto token) {
        return victim.async_receive(net::buffer(data), handles, token);
    });
    // The sync receive's end of the stream (0 bytes, no error) is eof here.
    CHECK(got.ec == net::error::eof);
    CHECK(*got.value == 0);
    CHECK(handles.empty());
    CHECK(child.wait() == testing::abrupt_exit_status);
}

TEST_CASE("async win32 hostile: pushed values from an unverified peer are neither owned nor closed") {
    for (const bool message : {false, true}) {
        for (const Form form : all_forms) {
            for (int attack = 0; attack < 4; ++attack) {
                CAPTURE(message);
                CAPTURE(form_name(form));
                CAPTURE(attack);
                const testing::HandleLeakCheck leaks;
                net::io_context context;
                const LocalSocketName name = testing::unique_namespaced_name("async-hostile-push");
                const Belongings own;
                net_error_code ec;
                bool well_formed = false;
                if (!message) {
                    LocalListener listener = LocalListener::bind(name, unverified());
                    const OwnedHandle attacker = raw_client(name);
                    AsyncStream<> victim(context, listener.accept());
                    const auto attack_frame =
                        pushed_attack(attack, own.values({listener.native_handle(), victim.native_handle()}));
                    well_formed = attack_frame.second;
                    testing::write_handle(attacker, attack_frame.first);
                    ec = receive(context, victim, form);
                    check_listener_works<LocalListener, LocalStream>(listener, name);
                } else {
                    LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name, unverified());
                    const OwnedHandle attacker = raw_client(name, true);
                    AsyncSeqpacket<> victim(context, listener.accept());
                    const auto attack_frame =
                        pushed_attack(attack, own.values({listener.native_handle(), victim.native_handle()}));
                    well_formed = attack_frame.second;
                    testing::write_handle(attacker, attack_frame.first);
                    ec = receive(context, victim, form);
                    check_listener_works<LocalSeqpacketListener, LocalSeqpacket>(listener, name);
                }
                CHECK(testing::std_error(ec) == (well_formed ? std::make_error_code(std::errc::permission_denied)
                                                             : make_error_code(errc::protocol_error)));
                own.check_all_work();
            }
        }
    }
}

TEST_CASE("async win32 hostile: pulled values are taken from the sender's table, never ours") {
    for (const bool message : {false, true}) {
        for (int attack = 0; attack < 2; ++attack) {
            CAPTURE(message);
            CAPTURE(attack);
            const testing::HandleLeakCheck leaks;
            net::io_context context;
            const LocalSocketName name = testing::unique_namespaced_name("async-hostile-pull");
            const Belongings own;
            net_error_code ec;
            if (!message) {
                LocalListener listener = LocalListener::bind(name);
                const auto values = attack == 0 ? own.values({listener.native_handle()}) : spray();
                auto child = testing::ChildProcess::spawn(
                    "async_hostile_raw_peer", {name.to_string(), "byte", to_hex(frame(table_sender, values, "mine")), "live"});
                {
                    AsyncStream<> victim(context, listener.accept());
                    ec = receive(context, victim, Form::handles);
                }
                child.wait(); // its handles at those values are gone: its exit is its business
                check_listener_works<LocalListener, LocalStream>(listener, name);
            } else {
                LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name);
                const auto values = attack == 0 ? own.values({listener.native_handle()}) : spray();
                auto child = testing::ChildProcess::spawn(
                    "async_hostile_raw_peer",
                    {name.to_string(), "message", to_hex(frame(table_sender, values, "mine")), "live"});
                {
                    AsyncSeqpacket<> victim(context, listener.accept());
                    ec = receive(context, victim, Form::handles);
                }
                child.wait();
                check_listener_works<LocalSeqpacketListener, LocalSeqpacket>(listener, name);
            }
            // What the child held at those values was taken and closed (or,
            // absent, reported): never an error that says the frame was ours.
            CHECK((!ec || testing::std_error(ec) == errc::handles_truncated));
            own.check_all_work();
        }
    }
}

TEST_CASE("async win32 hostile: more handles than the receiver takes are all closed; the bytes arrive") {
    for (const bool message : {false, true}) {
        CAPTURE(message);
        const testing::HandleLeakCheck leaks;
        net::io_context context;
        auto [read_1, write_1] = testing::make_pipe();
        auto [read_2, write_2] = testing::make_pipe();
        std::array<char, 8> data{};
        std::vector<OwnedHandle> handles;
        net_error_code ec;
        std::size_t bytes = 0;
        if (!message) {
            auto [a, b] = LocalStream::pair();
            AsyncStream<> victim(context, std::move(b));
            victim.sync().set_max_handles_per_receive(1);
            a.send("two", {write_1.borrow(), write_2.borrow()});
            write_1.reset();
            write_2.reset();
            auto got = testing::complete_with<std::size_t, TokenKind::callback>(context, [&](auto token) {
                return victim.async_receive(net::buffer(data), handles, token);
            });
            ec = got.ec;
            bytes = got.value.value_or(0);
        } else {
            auto [a, b] = LocalSeqpacket::pair();
            AsyncSeqpacket<> victim(context, std::move(b));
            victim.sync().set_max_handles_per_receive(1);
            a.send("two", {write_1.borrow(), write_2.borrow()});
            write_1.reset();
            write_2.reset();
            auto got = testing::complete_with<ReceiveResult, TokenKind::callback>(context, [&](auto token) {
                return victim.async_receive(net::buffer(data), handles, token);
            });
            ec = got.ec;
            bytes = got.value ? got.value->bytes : 0;
        }
        CHECK(testing::std_error(ec) == errc::handles_truncated);
        CHECK(bytes == 3);
        CHECK(std::string(data.data(), 3) == "two");
        CHECK(handles.empty());
        CHECK(writers_gone(read_1)); // no copy of a write end survived anywhere
        CHECK(writers_gone(read_2));
    }
}

} // TEST_SUITE
