// localsock: the library's own error codes, for conditions the OS has no code for.
#pragma once

#include <localsock/config.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>

namespace localsock {

class LocalSocketName;

// Each value compares equal to the std::errc condition named beside it (where
// one fits), so portable code can test `ec == std::errc::...` or the precise
// `ec == localsock::errc::...`.
enum class errc {
    handles_truncated = 1, // more handles arrived than accepted; all closed, data delivered
    end_of_stream,         // the peer closed before the requested bytes arrived
    handles_need_data,     // handles must travel with at least one byte    (invalid_argument)
    too_many_handles,      // more handles than one message can carry       (argument_list_too_long)
    empty_name,            // a socket name must not be empty               (invalid_argument)
    name_too_long,         // does not fit the platform's address           (filename_too_long)
    name_contains_nul,     // a NUL byte inside a name                      (invalid_argument)
    name_kind_unsupported, // this platform has no such kind of name        (not_supported)
    not_a_listener,        // an adopted handle is not listening, or no local socket (invalid_argument)
    not_a_local_stream,    // an adopted handle is not connected, or no local socket (invalid_argument)
    handle_passing_disabled, // this stream was opened with handle_passing = false (operation_not_supported)
    protocol_error,        // the peer sent a malformed or hostile frame or value (protocol_error)
    name_invalid_character, // a character the platform forbids in names  (invalid_argument)
    control_truncated,     // control data did not fit; handles closed, data delivered
    empty_message,         // a sequenced-packet message needs at least one byte (invalid_argument)
    wrong_socket_type,     // an adopted handle is not a local socket of this type (invalid_argument)
    out_of_handles,        // the receiving process ran out of descriptors (its open-file
                           // limit): the handles that came were closed, data delivered
                           // (too_many_files_open)
    too_many_handles_in_flight, // sent handles not yet received exceed the sender's open-file
                                // limit, or sockets passed inside sockets nest too deeply
    activation_malformed,  // a socket-activation variable (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES,
                           // LISTEN_PIDFDID) is malformed or contradicts another (invalid_argument)
    activation_unusable,   // an activated descriptor is not open, or is a local stream or
                           // seqpacket socket neither listening nor connected (bad_file_descriptor)
    not_shared_memory,     // an adopted handle is not a shared memory region (invalid_argument)
    region_size_mismatch,  // a region's size is not the one required (invalid_argument)
    region_not_sealed,     // a region lacks a required seal, or can still be written (invalid_argument)
};

LOCALSOCK_API const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

// The text localsock gives an error code, the same words on every OS: its own
// for each localsock::errc, and for every code whose portable condition is a
// std::errc value (a POSIX errno, a Windows error localsock maps) a fixed
// table of localsock's, never the C runtime's strerror (MinGW's reads
// "Unknown error" for most socket conditions, glibc's follows the locale).
// Other codes read as their category says. The what() of every exception
// localsock throws ends with this text; print it for the error-code forms.
LOCALSOCK_API std::string error_message(std::error_code ec);

namespace detail {
// The exception of every throwing form (header-only code such as values.hpp
// included): a std::system_error carrying `ec` whose what() reads
// "localsock: <operation> '<name>': <error_message(ec)>" ("localsock:
// <operation>: ..." for an empty name).
[[noreturn]] LOCALSOCK_API void throw_operation_error(std::error_code ec, std::string_view operation,
                                                      const LocalSocketName& name);
} // namespace detail

// Thrown by the throwing forms of receive() when handles or control data were
// truncated (errc::handles_truncated / errc::control_truncated /
// errc::out_of_handles): the bytes
// were delivered into the caller's buffer, and this tells how many. The
// error-code forms return the count (or ReceiveResult) and set the code.
class LOCALSOCK_API HandlesTruncatedError : public std::system_error {
public:
    HandlesTruncatedError(std::size_t bytes_received, const char* what);
    HandlesTruncatedError(std::error_code ec, std::size_t bytes_received, const std::string& what);
    std::size_t bytes_received() const noexcept { return bytes_received_; }

private:
    std::size_t bytes_received_;
};

} // namespace localsock

template <>
struct std::is_error_code_enum<localsock::errc> : std::true_type {};
