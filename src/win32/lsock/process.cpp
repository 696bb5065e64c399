// lsock on Windows: children that inherit handles (their values listed in
// LSOCK_HANDLES, LISTEN_FDS their count), and saving what a handle holds.
#include "../../lsock/system.hpp"

#include "errors.hpp"
#include "../command_line.hpp"

#include "../object_type.hpp"
#include "text.hpp"

#include <windows.h>

#include <cstdio>
#include <vector>

namespace lsock {

using localsock::BorrowedHandle;
using localsock::OwnedHandle;

namespace {


// This process's environment without LISTEN_* and LSOCK_HANDLES, plus `extra`.
std::wstring child_environment(const std::vector<std::wstring>& extra) {
    std::wstring block;
    wchar_t* strings = ::GetEnvironmentStringsW();
    for (const wchar_t* entry = strings; entry != nullptr && *entry != L'\0'; entry += wcslen(entry) + 1) {
        const std::wstring_view text(entry);
        if (text.starts_with(L"LISTEN_") || text.starts_with(L"LSOCK_HANDLES="))
            continue;
        block.append(text);
        block += L'\0';
    }
    if (strings != nullptr)
        ::FreeEnvironmentStringsW(strings);
    for (const std::wstring& entry : extra) {
        block += entry;
        block += L'\0';
    }
    block += L'\0';
    return block;
}

} // namespace

std::vector<std::string> shell_command(const std::string& command) { return {"cmd.exe", "/c", command}; }

ChildProcess spawn_with_handles(const std::vector<std::string>& argv, std::span<const BorrowedHandle> handles,
                                std::error_code& ec) noexcept {
    ec.clear();
    try {
        std::wstring line;
        for (const std::string& argument : argv) {
            std::wstring wide;
            if (!widen(argument, wide)) {
                ec = std::make_error_code(std::errc::invalid_argument);
                return {};
            }
            localsock::win32::append_command_line_argument(line, wide);
        }
        // Inheritable copies, given to this child only (the handle list):
        // the originals stay non-inheritable, other children get nothing.
        std::vector<OwnedHandle> copies;
        std::vector<HANDLE> inherited;
        std::wstring values = L"LSOCK_HANDLES=";
        for (const BorrowedHandle& handle : handles) {
            HANDLE copy = nullptr;
            if (!::DuplicateHandle(::GetCurrentProcess(), handle.get(), ::GetCurrentProcess(), &copy, 0, TRUE,
                                   DUPLICATE_SAME_ACCESS)) {
                ec = last_error();
                return {};
            }
            copies.emplace_back(copy);
            inherited.push_back(copy);
            wchar_t number[32];
            std::swprintf(number, 32, L"%s0x%llx", copies.size() == 1 ? L"" : L",",
                          static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(copy)));
            values += number;
        }
        // The standard handles go to the child as they are.
        STARTUPINFOEXW startup{};
        startup.StartupInfo.cb = sizeof startup;
        startup.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
        const DWORD standard[] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
        HANDLE* targets[] = {&startup.StartupInfo.hStdInput, &startup.StartupInfo.hStdOutput,
                             &startup.StartupInfo.hStdError};
        for (int i = 0; i < 3; ++i) {
            const HANDLE h = ::GetStdHandle(standard[i]);
            HANDLE copy = nullptr;
            if (h != nullptr && h != INVALID_HANDLE_VALUE &&
                ::DuplicateHandle(::GetCurrentProcess(), h, ::GetCurrentProcess(), &copy, 0, TRUE,
                                  DUPLICATE_SAME_ACCESS)) {
                copies.emplace_back(copy);
                inherited.push_back(copy);
                *targets[i] = copy;
            }
        }
        const std::wstring environment =
            child_environment({values, L"LISTEN_FDS=" + std::to_wstring(handles.size())});
        SIZE_T size = 0;
        ::InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
        std::vector<char> storage(size);
        auto* attributes = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(storage.data());
        if (!::InitializeProcThreadAttributeList(attributes, 1, 0, &size)) {
            ec = last_error();
            return {};
        }
        if (!inherited.empty())
            ::UpdateProcThreadAttribute(attributes, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherited.data(),
                                        inherited.size() * sizeof(HANDLE), nullptr, nullptr);
        startup.lpAttributeList = attributes;
        PROCESS_INFORMATION process{};
        const BOOL created =
            ::CreateProcessW(nullptr, line.data(), nullptr, nullptr, inherited.empty() ? FALSE : TRUE,
                             EXTENDED_STARTUPINFO_PRESENT | CREATE_UNICODE_ENVIRONMENT,
                             const_cast<wchar_t*>(environment.c_str()), nullptr, &startup.StartupInfo, &process);
        if (!created)
            ec = last_error();
        ::DeleteProcThreadAttributeList(attributes);
        if (!created)
            return {};
        ::CloseHandle(process.hThread);
        ChildProcess child;
        child.pid = process.dwProcessId;
        child.process.reset(process.hProcess);
        return child;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

int wait_for(ChildProcess& child, std::error_code& ec) noexcept {
    ec.clear();
    if (::WaitForSingleObject(child.process.get(), INFINITE) != WAIT_OBJECT_0) {
        ec = last_error();
        return -1;
    }
    DWORD code = 0;
    if (!::GetExitCodeProcess(child.process.get(), &code)) {
        ec = last_error();
        return -1;
    }
    child.process.reset();
    child.pid = -1;
    return static_cast<int>(code);
}

SaveDirectory SaveDirectory::open(const std::string& path, std::error_code& ec) noexcept {
    ec.clear();
    SaveDirectory result;
    std::wstring wide;
    if (!widen(path, wide)) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return result;
    }
    // Held open (not a reparse point) for as long as lsock runs, so that it
    // cannot be removed or replaced meanwhile.
    const HANDLE directory =
        ::CreateFileW(wide.c_str(), FILE_LIST_DIRECTORY, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING,
                      FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
    if (directory == INVALID_HANDLE_VALUE) {
        ec = last_error();
        return result;
    }
    result.directory_.reset(directory);
    BY_HANDLE_FILE_INFORMATION info{};
    if (!::GetFileInformationByHandle(directory, &info) || !(info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) ||
        (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
        ec = std::make_error_code(std::errc::not_a_directory);
        result.directory_.reset();
        return result;
    }
    result.path_ = path;
    return result;
}

std::string SaveDirectory::file_path(const std::string& name) const { return path_ + "\\" + name; }

std::uint64_t SaveDirectory::save(BorrowedHandle handle, const std::string& name, std::error_code& ec) noexcept {
    ec.clear();
    const HANDLE source = handle.get();
    // Files and pipes only (GetFileType alone says "disk" for some other
    // objects under Wine).
    const DWORD type = localsock::win32::object_type(source) == L"File" ? ::GetFileType(source) : FILE_TYPE_UNKNOWN;
    if (type != FILE_TYPE_DISK && type != FILE_TYPE_PIPE) {
        ec = std::make_error_code(std::errc::not_supported);
        return 0;
    }
    std::wstring wide;
    if (!widen(file_path(name), wide)) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return 0;
    }
    // A new file only (CREATE_NEW), never through a reparse point.
    const HANDLE target = ::CreateFileW(wide.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW,
                                        FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
    if (target == INVALID_HANDLE_VALUE) {
        ec = last_error();
        return 0;
    }
    OwnedHandle target_owner(target);
    char buffer[64 * 1024];
    std::uint64_t total = 0;
    for (;;) {
        DWORD count = 0;
        BOOL read = FALSE;
        if (type == FILE_TYPE_DISK) {
            // Positioned: the sender's file pointer stays where it is.
            OVERLAPPED at{};
            at.Offset = static_cast<DWORD>(total);
            at.OffsetHigh = static_cast<DWORD>(total >> 32);
            read = ::ReadFile(source, buffer, sizeof buffer, &count, &at);
        } else {
            read = ::ReadFile(source, buffer, sizeof buffer, &count, nullptr);
        }
        if (!read) {
            const DWORD error = ::GetLastError();
            if (error == ERROR_HANDLE_EOF || error == ERROR_BROKEN_PIPE)
                return total;
            ec = {static_cast<int>(error), std::system_category()};
            return total;
        }
        if (count == 0)
            return total;
        DWORD written = 0;
        if (!::WriteFile(target, buffer, count, &written, nullptr) || written != count) {
            ec = last_error();
            return total;
        }
        total += count;
    }
}

} // namespace lsock
