// Private: the Windows backend's common ground — <windows.h>, Win32 error
// codes as std::error_code, names as pipe paths.
#pragma once

#include <windows.h>

#include <localsock/handle.hpp>
#include <localsock/name.hpp>

#include <string>
#include <system_error>

namespace localsock::win32 {

// Win32 error codes, with messages from FormatMessage and portable
// conditions (std::errc) for the codes that have one.
const std::error_category& category() noexcept;
inline std::error_code make_error(DWORD code) noexcept { return {static_cast<int>(code), category()}; }
inline std::error_code last_error() noexcept { return make_error(::GetLastError()); }

// Win32 calls report failure as NULL or INVALID_HANDLE_VALUE; owners use one.
inline OwnedHandle own(HANDLE handle) noexcept {
    return OwnedHandle(handle == nullptr ? INVALID_HANDLE_VALUE : handle);
}

// An operation on a closed (default-constructed, moved-from, released) object.
inline std::error_code not_open() noexcept { return std::make_error_code(std::errc::bad_file_descriptor); }
// What Windows has no counterpart for (datagrams, ancillary data).
inline std::error_code not_supported() noexcept { return std::make_error_code(std::errc::not_supported); }

// The most one ReadFile / WriteFile moves: their counts are 32-bit.
inline constexpr DWORD max_io_chunk = 1u << 30;

// Errors that mean the other end of a pipe has gone: a read sees end of stream.
inline bool peer_gone(DWORD error) noexcept {
    return error == ERROR_BROKEN_PIPE || error == ERROR_PIPE_NOT_CONNECTED || error == ERROR_NO_DATA;
}

// "\\.\pipe\<name>" in UTF-16.
std::wstring pipe_path(const LocalSocketName& name);

// The SID of the user a process runs as, "S-1-5-...".
std::string process_user_sid(HANDLE process, std::error_code& ec) noexcept;

} // namespace localsock::win32
