// Error messages: every error localsock can report reads the same on every
// OS, in localsock's words (the C runtime's strerror under MinGW says
// "Unknown error" for most socket conditions), naming the operation and the
// socket.
#include <doctest/doctest.h>

#include "support/resources.hpp"

#include <localsock/localsock.hpp>

#include <array>
#include <chrono>
#include <string>
#include <system_error>

using namespace localsock;

namespace {

struct Expected {
    std::error_code code;
    const char* text;
};

// Every localsock::errc value.
const Expected localsock_errors[] = {
    {errc::handles_truncated, "more handles arrived than the receiver accepts; they were closed"},
    {errc::end_of_stream, "the peer closed the stream before all bytes arrived"},
    {errc::handles_need_data, "handles must be sent with at least one byte"},
    {errc::too_many_handles, "too many handles for one message"},
    {errc::empty_name, "a local socket name must not be empty"},
    {errc::name_too_long, "the local socket name is too long for this platform"},
    {errc::name_contains_nul, "a local socket name must not contain a NUL byte"},
    {errc::name_kind_unsupported, "this platform has no such kind of local socket name"},
    {errc::not_a_listener, "the handle is not a listening local socket"},
    {errc::not_a_local_stream, "the handle is not a connected local stream socket"},
    {errc::handle_passing_disabled, "handle passing is switched off on this stream"},
    {errc::protocol_error, "the peer sent a malformed localsock frame or value"},
    {errc::name_invalid_character, "the local socket name contains a character this platform forbids"},
    {errc::control_truncated, "control data did not fit the receive buffer; handles that came were closed"},
    {errc::empty_message, "a sequenced-packet message needs at least one byte"},
    {errc::wrong_socket_type, "the handle is not a local socket of the expected type"},
    {errc::activation_malformed, "the socket-activation environment (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES, "
                                 "LISTEN_PIDFDID) is malformed"},
    {errc::activation_unusable,
     "an activated descriptor is not open, or is a local socket neither listening nor connected"},
    {errc::not_shared_memory, "the handle is not a shared memory region"},
    {errc::region_size_mismatch, "the shared memory region does not have the size required"},
    {errc::region_not_sealed, "the shared memory region lacks a required seal: its sender could still change it"},
};

// Every std::errc condition the library's sources produce (grep
// 'std::errc::' in src/ and include/), and the ones the OS hands over that
// callers test for (a reset connection, a full descriptor table...).
const Expected standard_errors[] = {
    {std::make_error_code(std::errc::address_in_use), "Address already in use"},
    {std::make_error_code(std::errc::argument_list_too_long), "Argument list too long"},
    {std::make_error_code(std::errc::bad_file_descriptor), "Bad file descriptor"},
    {std::make_error_code(std::errc::broken_pipe), "Broken pipe"},
    {std::make_error_code(std::errc::connection_refused), "Connection refused"},
    {std::make_error_code(std::errc::connection_reset), "Connection reset by peer"},
    {std::make_error_code(std::errc::device_or_resource_busy), "Device or resource busy"},
    {std::make_error_code(std::errc::file_exists), "File exists"},
    {std::make_error_code(std::errc::filename_too_long), "File name too long"},
    {std::make_error_code(std::errc::interrupted), "Interrupted system call"},
    {std::make_error_code(std::errc::invalid_argument), "Invalid argument"},
    {std::make_error_code(std::errc::message_size), "Message too long"},
    {std::make_error_code(std::errc::no_buffer_space), "No buffer space available"},
    {std::make_error_code(std::errc::no_protocol_option), "Protocol not available"},
    {std::make_error_code(std::errc::no_such_file_or_directory), "No such file or directory"},
    {std::make_error_code(std::errc::not_a_socket), "Socket operation on non-socket"},
    {std::make_error_code(std::errc::not_connected), "Transport endpoint is not connected"},
    {std::make_error_code(std::errc::not_enough_memory), "Cannot allocate memory"},
    {std::make_error_code(std::errc::not_supported), "Operation not supported"},
    {std::make_error_code(std::errc::operation_canceled), "Operation canceled"},
    {std::make_error_code(std::errc::operation_in_progress), "Operation now in progress"},
    {std::make_error_code(std::errc::operation_not_permitted), "Operation not permitted"},
    {std::make_error_code(std::errc::operation_not_supported), "Operation not supported"},
    {std::make_error_code(std::errc::operation_would_block), "Resource temporarily unavailable"},
    {std::make_error_code(std::errc::permission_denied), "Permission denied"},
    {std::make_error_code(std::errc::protocol_error), "Protocol error"},
    {std::make_error_code(std::errc::resource_unavailable_try_again), "Resource temporarily unavailable"},
    {std::make_error_code(std::errc::timed_out), "Connection timed out"},
    {std::make_error_code(std::errc::too_many_files_open), "Too many open files"},
    {std::make_error_code(std::errc::too_many_files_open_in_system), "Too many open files in system"},
    {std::make_error_code(std::errc::wrong_protocol_type), "Protocol wrong type for socket"},
};

// The whole of what() for one error thrown by the library's own builder.
std::string thrown_by_library(std::error_code code, const LocalSocketName& name) {
    try {
        detail::throw_operation_error(code, "connect", name);
    } catch (const std::system_error& e) {
        CHECK(e.code() == code); // the code itself is untouched
        return e.what();
    }
    FAIL("nothing thrown");
    return {};
}

void check_reads_well(const std::string& what) {
    CAPTURE(what);
    CHECK(what.find("Unknown error") == std::string::npos);
    CHECK(what.find("unknown") == std::string::npos);
    CHECK(what.find("Win32 error") == std::string::npos);
}

} // namespace

TEST_SUITE("unit") {

TEST_CASE("errors: every error localsock reports has the same words on every OS") {
    const LocalSocketName name = LocalSocketName::namespaced("errors-table");
    const auto check = [&](const Expected& expected) {
        CAPTURE(expected.code);
        CHECK(error_message(expected.code) == expected.text);
        const std::string what = thrown_by_library(expected.code, name);
        CHECK(what == std::string("localsock: connect '@errors-table': ") + expected.text);
        check_reads_well(what);
    };
    for (const Expected& expected : localsock_errors)
        check(expected);
    for (const Expected& expected : standard_errors)
        check(expected);
    // An unnamed socket: the operation alone.
    CHECK(thrown_by_library(std::make_error_code(std::errc::timed_out), LocalSocketName()) ==
          "localsock: connect: Connection timed out");
}

} // TEST_SUITE

TEST_SUITE("ipc") {

TEST_CASE("errors: a real failing call reads the same on every OS") {
    const testing::HandleLeakCheck leaks;
    SUBCASE("connect to a name nobody listens on") {
        const LocalSocketName nobody = testing::unique_namespaced_name("errors-nobody");
        try {
            (void)LocalStream::connect(nobody);
            FAIL("connected to nobody");
        } catch (const std::system_error& e) {
            CHECK(e.code() == std::errc::connection_refused);
            CHECK(std::string(e.what()) == "localsock: connect '" + nobody.to_string() + "': Connection refused");
        }
        std::error_code ec;
        (void)LocalSeqpacket::connect(nobody, ec);
        CHECK(ec == std::errc::connection_refused);
        CHECK(error_message(ec) == "Connection refused");
    }
    SUBCASE("a read that times out") {
        auto [a, b] = LocalStream::pair();
        a.set_read_timeout(std::chrono::milliseconds(30));
        std::array<char, 4> data{};
        try {
            (void)a.read_some(buffer(data));
            FAIL("read nothing without a timeout");
        } catch (const std::system_error& e) {
            CHECK(e.code() == std::errc::timed_out);
            CHECK(std::string(e.what()) == "localsock: read: Connection timed out");
        }
    }
    SUBCASE("a write to a closed peer") {
        auto [a, b] = LocalStream::pair();
        b = LocalStream();
        try {
            for (int i = 0; i < 100; ++i) // the first writes may still be buffered on some OSes
                a.write_all("into the void");
            FAIL("wrote to a closed peer");
        } catch (const std::system_error& e) {
            CHECK(e.code() == std::errc::broken_pipe);
            CHECK(std::string(e.what()) == "localsock: write: Broken pipe");
        }
    }
    SUBCASE("a bad name, refused before any system call") {
        try {
            (void)LocalSocketName::namespaced("");
            FAIL("an empty name accepted");
        } catch (const std::system_error& e) {
            CHECK(std::string(e.what()) == "localsock: socket name '@': a local socket name must not be empty");
        }
    }
}

} // TEST_SUITE
