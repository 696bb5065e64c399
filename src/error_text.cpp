// The words of each std::errc condition, localsock's own on every OS.
//
// The C runtime's strerror cannot give them: MinGW's msvcrt knows the errno
// values of 1990s DOS and prints "Unknown error" for ETIMEDOUT, EWOULDBLOCK,
// ECONNREFUSED, EADDRINUSE, EMSGSIZE and the rest of the socket errors, and
// glibc's translates into the process's locale. The texts are glibc's English
// ones, so messages on Linux read as they always have.
#include "error_text.hpp"

namespace localsock::detail {
namespace {

struct ConditionText {
    std::errc condition;
    const char* text;
};

// Every std::errc enumerator. Some share a value on some systems (EAGAIN and
// EWOULDBLOCK, ENOTSUP and EOPNOTSUPP on Linux; not under MinGW), so this is
// a table searched in order rather than a switch; such pairs read the same.
constexpr ConditionText texts[] = {
    {std::errc::operation_not_permitted, "Operation not permitted"},
    {std::errc::no_such_file_or_directory, "No such file or directory"},
    {std::errc::no_such_process, "No such process"},
    {std::errc::interrupted, "Interrupted system call"},
    {std::errc::io_error, "Input/output error"},
    {std::errc::no_such_device_or_address, "No such device or address"},
    {std::errc::argument_list_too_long, "Argument list too long"},
    {std::errc::executable_format_error, "Exec format error"},
    {std::errc::bad_file_descriptor, "Bad file descriptor"},
    {std::errc::no_child_process, "No child processes"},
    {std::errc::operation_would_block, "Resource temporarily unavailable"},
    {std::errc::resource_unavailable_try_again, "Resource temporarily unavailable"},
    {std::errc::not_enough_memory, "Cannot allocate memory"},
    {std::errc::permission_denied, "Permission denied"},
    {std::errc::bad_address, "Bad address"},
    {std::errc::device_or_resource_busy, "Device or resource busy"},
    {std::errc::file_exists, "File exists"},
    {std::errc::cross_device_link, "Invalid cross-device link"},
    {std::errc::no_such_device, "No such device"},
    {std::errc::not_a_directory, "Not a directory"},
    {std::errc::is_a_directory, "Is a directory"},
    {std::errc::invalid_argument, "Invalid argument"},
    {std::errc::too_many_files_open_in_system, "Too many open files in system"},
    {std::errc::too_many_files_open, "Too many open files"},
    {std::errc::inappropriate_io_control_operation, "Inappropriate ioctl for device"},
    {std::errc::text_file_busy, "Text file busy"},
    {std::errc::file_too_large, "File too large"},
    {std::errc::no_space_on_device, "No space left on device"},
    {std::errc::invalid_seek, "Illegal seek"},
    {std::errc::read_only_file_system, "Read-only file system"},
    {std::errc::too_many_links, "Too many links"},
    {std::errc::broken_pipe, "Broken pipe"},
    {std::errc::argument_out_of_domain, "Numerical argument out of domain"},
    {std::errc::result_out_of_range, "Numerical result out of range"},
    {std::errc::resource_deadlock_would_occur, "Resource deadlock avoided"},
    {std::errc::filename_too_long, "File name too long"},
    {std::errc::no_lock_available, "No locks available"},
    {std::errc::function_not_supported, "Function not implemented"},
    {std::errc::directory_not_empty, "Directory not empty"},
    {std::errc::too_many_symbolic_link_levels, "Too many levels of symbolic links"},
    {std::errc::no_message, "No message of desired type"},
    {std::errc::identifier_removed, "Identifier removed"},
    {std::errc::no_link, "Link has been severed"},
    {std::errc::protocol_error, "Protocol error"},
    {std::errc::bad_message, "Bad message"},
    {std::errc::value_too_large, "Value too large for defined data type"},
    {std::errc::illegal_byte_sequence, "Invalid or incomplete multibyte or wide character"},
    {std::errc::not_a_socket, "Socket operation on non-socket"},
    {std::errc::destination_address_required, "Destination address required"},
    {std::errc::message_size, "Message too long"},
    {std::errc::wrong_protocol_type, "Protocol wrong type for socket"},
    {std::errc::no_protocol_option, "Protocol not available"},
    {std::errc::protocol_not_supported, "Protocol not supported"},
    {std::errc::not_supported, "Operation not supported"},
    {std::errc::operation_not_supported, "Operation not supported"},
    {std::errc::address_family_not_supported, "Address family not supported by protocol"},
    {std::errc::address_in_use, "Address already in use"},
    {std::errc::address_not_available, "Cannot assign requested address"},
    {std::errc::network_down, "Network is down"},
    {std::errc::network_unreachable, "Network is unreachable"},
    {std::errc::network_reset, "Network dropped connection on reset"},
    {std::errc::connection_aborted, "Software caused connection abort"},
    {std::errc::connection_reset, "Connection reset by peer"},
    {std::errc::no_buffer_space, "No buffer space available"},
    {std::errc::already_connected, "Transport endpoint is already connected"},
    {std::errc::not_connected, "Transport endpoint is not connected"},
    {std::errc::timed_out, "Connection timed out"},
    {std::errc::connection_refused, "Connection refused"},
    {std::errc::host_unreachable, "No route to host"},
    {std::errc::connection_already_in_progress, "Operation already in progress"},
    {std::errc::operation_in_progress, "Operation now in progress"},
    {std::errc::operation_canceled, "Operation canceled"},
    {std::errc::owner_dead, "Owner died"},
    {std::errc::state_not_recoverable, "State not recoverable"},
};

} // namespace

const char* condition_text(std::errc condition) noexcept {
    for (const ConditionText& entry : texts)
        if (entry.condition == condition)
            return entry.text;
    return nullptr;
}

} // namespace localsock::detail
