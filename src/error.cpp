// The localsock error category and the exceptions of the throwing forms.
#include "error_text.hpp"
#include "operation_error.hpp"

#include <localsock/error.hpp>

#include <fmt/format.h>

#include <stdexcept>

namespace localsock {
namespace {

class Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "localsock"; }

    std::string message(int value) const override {
        switch (static_cast<errc>(value)) {
        case errc::handles_truncated:
            return "more handles arrived than the receiver accepts; they were closed";
        case errc::end_of_stream: return "the peer closed the stream before all bytes arrived";
        case errc::handles_need_data: return "handles must be sent with at least one byte";
        case errc::too_many_handles: return "too many handles for one message";
        case errc::empty_name: return "a local socket name must not be empty";
        case errc::name_too_long: return "the local socket name is too long for this platform";
        case errc::name_contains_nul: return "a local socket name must not contain a NUL byte";
        case errc::name_kind_unsupported: return "this platform has no such kind of local socket name";
        case errc::not_a_listener: return "the handle is not a listening local socket";
        case errc::not_a_local_stream: return "the handle is not a connected local stream socket";
        case errc::handle_passing_disabled: return "handle passing is switched off on this stream";
        case errc::protocol_error: return "the peer sent a malformed localsock frame or value";
        case errc::name_invalid_character: return "the local socket name contains a character this platform forbids";
        case errc::control_truncated:
            return "control data did not fit the receive buffer; handles that came were closed";
        case errc::empty_message: return "a sequenced-packet message needs at least one byte";
        case errc::wrong_socket_type: return "the handle is not a local socket of the expected type";
        case errc::out_of_handles:
            return "the receiving process ran out of descriptors (open-file limit); the handles that came "
                   "were closed";
        case errc::too_many_handles_in_flight:
            return "too many handles in flight: handles sent and not yet received exceed the sender's "
                   "open-file limit, or sockets passed inside sockets nest too deeply";
        case errc::activation_malformed:
            return "the socket-activation environment (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES, LISTEN_PIDFDID) "
                   "is malformed";
        case errc::activation_unusable:
            return "an activated descriptor is not open, or is a local socket neither listening nor connected";
        case errc::not_shared_memory: return "the handle is not a shared memory region";
        case errc::region_size_mismatch: return "the shared memory region does not have the size required";
        case errc::region_not_sealed:
            return "the shared memory region lacks a required seal: its sender could still change it";
        }
        return "unknown localsock error";
    }

    // The portable condition each code stands for, so that
    // `ec == std::errc::invalid_argument` works across libraries.
    std::error_condition default_error_condition(int value) const noexcept override {
        switch (static_cast<errc>(value)) {
        case errc::handles_need_data:
        case errc::empty_name:
        case errc::name_contains_nul:
        case errc::not_a_listener:
        case errc::name_invalid_character:
        case errc::empty_message:
        case errc::wrong_socket_type:
        case errc::activation_malformed:
        case errc::not_shared_memory:
        case errc::region_size_mismatch:
        case errc::region_not_sealed:
        case errc::not_a_local_stream: return std::errc::invalid_argument;
        case errc::activation_unusable: return std::errc::bad_file_descriptor;
        case errc::handle_passing_disabled: return std::errc::operation_not_supported;
        case errc::protocol_error: return std::errc::protocol_error;
        case errc::too_many_handles: return std::errc::argument_list_too_long;
        case errc::name_too_long: return std::errc::filename_too_long;
        case errc::name_kind_unsupported: return std::errc::not_supported;
        case errc::out_of_handles: return std::errc::too_many_files_open;
        case errc::too_many_handles_in_flight:
        case errc::handles_truncated:
        case errc::control_truncated:
        case errc::end_of_stream: break;
        }
        return {value, *this};
    }
};

// The exception of the throwing forms. std::system_error's own what() ends
// with ec.message(), the C runtime's words ("Unknown error" under MinGW for
// most socket conditions); this one carries the same code and ends with
// localsock's text instead.
class OperationError final : public std::system_error {
public:
    OperationError(std::error_code ec, const std::string& what) : std::system_error(ec), what_(what) {}
    const char* what() const noexcept override { return what_.what(); }

private:
    std::runtime_error what_; // a string copied without throwing, as exceptions must be
};

} // namespace

const std::error_category& error_category() noexcept {
    static const Category category;
    return category;
}

std::string error_message(std::error_code ec) {
    if (ec.category() == error_category())
        return ec.message(); // localsock's own table already
    // The portable condition: a POSIX errno maps to its std::errc, a Windows
    // error to the one localsock's win32 category names.
    const std::error_condition condition = ec.default_error_condition();
    if (condition.category() == std::generic_category())
        if (const char* text = detail::condition_text(static_cast<std::errc>(condition.value())))
            return text;
    return ec.message();
}

HandlesTruncatedError::HandlesTruncatedError(std::size_t bytes_received, const char* what)
    : std::system_error(make_error_code(errc::handles_truncated), what), bytes_received_(bytes_received) {}

HandlesTruncatedError::HandlesTruncatedError(std::error_code ec, std::size_t bytes_received, const std::string& what)
    : std::system_error(ec, what), bytes_received_(bytes_received) {}

namespace detail {

std::string describe_operation(std::string_view operation, const LocalSocketName& name) {
    if (name.empty())
        return fmt::format("localsock: {}", operation);
    return fmt::format("localsock: {} '{}'", operation, name.to_string());
}

void throw_error(std::error_code ec, const std::string& context) {
    throw OperationError(ec, fmt::format("{}: {}", context, error_message(ec)));
}

void throw_operation_error(std::error_code ec, std::string_view operation, const LocalSocketName& name) {
    throw_error(ec, describe_operation(operation, name));
}

void throw_receive_error(std::error_code ec, std::size_t bytes, std::string_view operation,
                         const LocalSocketName& name) {
    if (is_receive_truncation(ec))
        throw HandlesTruncatedError(ec, bytes, describe_operation(operation, name));
    throw_operation_error(ec, operation, name);
}

} // namespace detail
} // namespace localsock
