// lsock on Windows: standard handles, handles to send, names of processes.
#include "../../lsock/system.hpp"

#include "errors.hpp"

#include "text.hpp"

#include <windows.h>

#include <filesystem>
#include <string>

namespace lsock {

using localsock::OwnedHandle;

void prepare_process() noexcept {
    // Pipes disappear with their process: nothing to clean up on Ctrl+C.
}

void remove_on_termination(const std::filesystem::path&) noexcept {}

std::size_t read_stdin(std::span<std::byte> buffer, std::error_code& ec) noexcept {
    ec.clear();
    const HANDLE input = ::GetStdHandle(STD_INPUT_HANDLE);
    if (input == nullptr || input == INVALID_HANDLE_VALUE)
        return 0; // no stdin reads as an empty one
    DWORD count = 0;
    const DWORD want = static_cast<DWORD>(std::min<std::size_t>(buffer.size(), 1u << 30));
    if (::ReadFile(input, buffer.data(), want, &count, nullptr))
        return count;
    const DWORD error = ::GetLastError();
    // A pipe whose writer closed, or a closed handle: the end of input.
    if (error == ERROR_BROKEN_PIPE || error == ERROR_HANDLE_EOF || error == ERROR_INVALID_HANDLE)
        return 0;
    ec = {static_cast<int>(error), std::system_category()};
    return 0;
}

void write_stdout(std::span<const std::byte> bytes, std::error_code& ec) noexcept {
    ec.clear();
    const HANDLE output = ::GetStdHandle(STD_OUTPUT_HANDLE);
    while (!bytes.empty()) {
        DWORD count = 0;
        const DWORD want = static_cast<DWORD>(std::min<std::size_t>(bytes.size(), 1u << 30));
        if (!::WriteFile(output, bytes.data(), want, &count, nullptr)) {
            ec = last_error();
            return;
        }
        bytes = bytes.subspan(count);
    }
}

OwnedHandle duplicate_own_handle(std::uint64_t value, std::error_code& ec) noexcept {
    ec.clear();
    HANDLE copy = nullptr;
    // The value is a handle this process holds (inherited, e.g.).
    const HANDLE source = reinterpret_cast<HANDLE>(static_cast<std::uintptr_t>(value));
    if (value == 0 || !::DuplicateHandle(::GetCurrentProcess(), source, ::GetCurrentProcess(), &copy, 0, FALSE,
                                         DUPLICATE_SAME_ACCESS)) {
        ec = value == 0 ? std::make_error_code(std::errc::bad_file_descriptor) : last_error();
        return {};
    }
    return OwnedHandle(copy);
}

OwnedHandle open_file_for_sending(const std::string& path, std::error_code& ec) noexcept {
    ec.clear();
    std::wstring wide;
    if (!widen(path, wide)) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return {};
    }
    const HANDLE file = ::CreateFileW(wide.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                      nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (file == INVALID_HANDLE_VALUE) {
        ec = last_error();
        return {};
    }
    return OwnedHandle(file);
}

SocketFileFacts socket_file_facts(const std::filesystem::path& path, std::error_code& ec) noexcept {
    SocketFileFacts facts;
    const std::filesystem::file_status status = std::filesystem::symlink_status(path, ec);
    if (ec || status.type() == std::filesystem::file_type::not_found) {
        if (status.type() == std::filesystem::file_type::not_found)
            ec.clear();
        return facts;
    }
    facts.exists = true;
    facts.type = status.type() == std::filesystem::file_type::directory ? "directory"
                 : status.type() == std::filesystem::file_type::symlink ? "symbolic link"
                                                                        : "file";
    facts.mode = static_cast<std::uint32_t>(status.permissions()) & 0777;
    return facts;
}

std::string program_name(std::int64_t pid) {
    const HANDLE process = ::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, static_cast<DWORD>(pid));
    if (process == nullptr)
        return {};
    wchar_t path[MAX_PATH];
    DWORD length = MAX_PATH;
    const BOOL known = ::QueryFullProcessImageNameW(process, 0, path, &length);
    ::CloseHandle(process);
    if (!known)
        return {};
    std::wstring full(path, length);
    const std::size_t slash = full.find_last_of(L"\\/");
    return narrow(slash == std::wstring::npos ? full : full.substr(slash + 1));
}

std::string user_name(std::uint32_t) { return {}; }

std::size_t count_open_handles() noexcept {
    DWORD count = 0;
    return ::GetProcessHandleCount(::GetCurrentProcess(), &count) ? count : 0;
}

} // namespace lsock
