// Win32 error codes as std::error_code.
#include "win32.hpp"

namespace localsock::win32 {
namespace {

class Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "win32"; }

    std::string message(int value) const override {
        char* text = nullptr;
        const DWORD length = ::FormatMessageA(
            FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr,
            static_cast<DWORD>(value), 0, reinterpret_cast<char*>(&text), 0, nullptr);
        std::string result = length > 0 ? std::string(text, length) : "Win32 error " + std::to_string(value);
        ::LocalFree(text);
        while (!result.empty() && (result.back() == '\n' || result.back() == '\r' || result.back() == '.'))
            result.pop_back();
        return result;
    }

    // The same portable conditions the POSIX backend produces, so that
    // `ec == std::errc::broken_pipe` means the same on every OS.
    std::error_condition default_error_condition(int value) const noexcept override {
        switch (static_cast<DWORD>(value)) {
        case ERROR_BROKEN_PIPE:
        case ERROR_NO_DATA:
        case ERROR_PIPE_NOT_CONNECTED: return std::errc::broken_pipe;
        case ERROR_FILE_NOT_FOUND:
        case ERROR_PATH_NOT_FOUND: return std::errc::no_such_file_or_directory;
        case ERROR_ACCESS_DENIED: return std::errc::permission_denied;
        case ERROR_INVALID_HANDLE: return std::errc::bad_file_descriptor;
        case ERROR_NOT_ENOUGH_MEMORY:
        case ERROR_OUTOFMEMORY: return std::errc::not_enough_memory;
        case ERROR_INVALID_PARAMETER:
        case ERROR_INVALID_NAME:
        case ERROR_BAD_PATHNAME: return std::errc::invalid_argument;
        case ERROR_SEM_TIMEOUT:
        case WAIT_TIMEOUT: return std::errc::timed_out;
        case ERROR_OPERATION_ABORTED: return std::errc::operation_canceled;
        case ERROR_TOO_MANY_OPEN_FILES: return std::errc::too_many_files_open;
        case ERROR_NOT_SUPPORTED: return std::errc::not_supported;
        case ERROR_PIPE_BUSY: return std::errc::device_or_resource_busy;
        case ERROR_ALREADY_EXISTS: return std::errc::file_exists;
        }
        return {value, *this};
    }
};

} // namespace

const std::error_category& category() noexcept {
    static const Category instance;
    return instance;
}

} // namespace localsock::win32
