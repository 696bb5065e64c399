// Test support on Windows.
#include "../resources.hpp"

#include <windows.h>

#include <sddl.h>

#include <cstring>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace testing {
namespace {
[[noreturn]] void fail(const char* what) {
    throw std::system_error(static_cast<int>(::GetLastError()), std::system_category(), what);
}
} // namespace

namespace {

// Wine's GetProcessHandleCount always says 0, which would make every leak
// check pass. Its system handle table is real, so count our entries there.
// Wine 8's server crashes building that table while a process with no
// handle at all exists (a Wine program starting): tests/meson.build runs
// the Windows test programs one at a time, and ChildProcess::spawn's
// children inherit a handle from their first moment.
// Every one counts: tests run their threads with support/thread.hpp, whose
// Windows threads leave no handles behind (winpthreads would cache some).
// (On Windows that table truncates process ids to 16 bits; it is only the
// fallback.)
std::size_t count_in_system_table() {
    struct Entry {
        USHORT pid;
        USHORT creator_back_trace;
        UCHAR object_type;
        UCHAR attributes;
        USHORT value;
        PVOID object;
        ULONG access;
    };
    using Query = LONG(WINAPI*)(ULONG, PVOID, ULONG, PULONG);
    constexpr ULONG system_handle_information = 16;
    constexpr LONG info_length_mismatch = static_cast<LONG>(0xC0000004);
    const auto query = reinterpret_cast<Query>(
        reinterpret_cast<void*>(::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "NtQuerySystemInformation")));
    if (query == nullptr)
        throw std::runtime_error("no NtQuerySystemInformation");
    std::vector<unsigned char> table(1 << 20);
    for (;;) {
        ULONG length = 0;
        const LONG status = query(system_handle_information, table.data(), static_cast<ULONG>(table.size()), &length);
        if (status == info_length_mismatch) {
            table.resize(table.size() * 2);
            continue;
        }
        if (status != 0)
            throw std::runtime_error("NtQuerySystemInformation failed");
        break;
    }
    ULONG entries = 0;
    std::memcpy(&entries, table.data(), sizeof entries);
    const auto* first = table.data() + sizeof(void*); // the count is padded to pointer alignment
    const auto me = static_cast<USHORT>(::GetCurrentProcessId());
    std::size_t count = 0;
    for (ULONG i = 0; i < entries; ++i) {
        Entry entry;
        std::memcpy(&entry, first + i * sizeof(Entry), sizeof entry);
        count += entry.pid == me;
    }
    return count;
}

} // namespace

std::size_t count_open_handles() {
    DWORD count = 0;
    if (::GetProcessHandleCount(::GetCurrentProcess(), &count) && count > 0)
        return count;
    return count_in_system_table();
}

std::pair<localsock::OwnedHandle, localsock::OwnedHandle> make_pipe() {
    HANDLE read_end = nullptr, write_end = nullptr;
    if (!::CreatePipe(&read_end, &write_end, nullptr, 0))
        fail("CreatePipe");
    return {localsock::OwnedHandle(read_end), localsock::OwnedHandle(write_end)};
}

localsock::OwnedHandle file_with(std::string_view content) {
    wchar_t directory[MAX_PATH], path[MAX_PATH];
    if (::GetTempPathW(MAX_PATH, directory) == 0 || ::GetTempFileNameW(directory, L"lst", 0, path) == 0)
        fail("GetTempFileName");
    const HANDLE file = ::CreateFileW(path, GENERIC_READ | GENERIC_WRITE,
                                      FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, CREATE_ALWAYS,
                                      FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, nullptr);
    if (file == INVALID_HANDLE_VALUE)
        fail("CreateFile");
    localsock::OwnedHandle owner(file);
    write_handle(owner, content);
    return owner;
}

std::string read_whole_file(localsock::BorrowedHandle file) {
    std::string content;
    char chunk[256];
    for (;;) {
        OVERLAPPED at{}; // a positioned read: the file pointer stays where it is
        at.Offset = static_cast<DWORD>(content.size());
        DWORD n = 0;
        if (!::ReadFile(file.get(), chunk, sizeof chunk, &n, &at)) {
            if (::GetLastError() == ERROR_HANDLE_EOF)
                return content;
            fail("ReadFile");
        }
        if (n == 0)
            return content;
        content.append(chunk, n);
    }
}

void write_handle(localsock::BorrowedHandle handle, std::string_view bytes) {
    while (!bytes.empty()) {
        DWORD n = 0;
        if (!::WriteFile(handle.get(), bytes.data(), static_cast<DWORD>(bytes.size()), &n, nullptr))
            fail("WriteFile");
        bytes.remove_prefix(n);
    }
}

std::string read_handle(localsock::BorrowedHandle handle, std::size_t count) {
    std::string bytes(count, '\0');
    std::size_t done = 0;
    while (done < count) {
        DWORD n = 0;
        if (!::ReadFile(handle.get(), bytes.data() + done, static_cast<DWORD>(count - done), &n, nullptr)) {
            if (::GetLastError() == ERROR_BROKEN_PIPE)
                break;
            fail("ReadFile");
        }
        if (n == 0)
            break;
        done += n;
    }
    bytes.resize(done);
    return bytes;
}

bool pipe_at_end(localsock::BorrowedHandle read_end) {
    char c;
    DWORD n = 0;
    return !::ReadFile(read_end.get(), &c, 1, &n, nullptr) && ::GetLastError() == ERROR_BROKEN_PIPE;
}

bool is_inheritable(localsock::BorrowedHandle handle) {
    DWORD flags = 0;
    if (!::GetHandleInformation(handle.get(), &flags))
        fail("GetHandleInformation");
    return (flags & HANDLE_FLAG_INHERIT) != 0;
}

std::int64_t current_pid() { return ::GetCurrentProcessId(); }

std::int64_t process_id_of(localsock::BorrowedHandle process) { return ::GetProcessId(process.get()); }

bool process_ended(localsock::BorrowedHandle process, int milliseconds) {
    return ::WaitForSingleObject(process.get(), static_cast<DWORD>(milliseconds)) == WAIT_OBJECT_0;
}

void die_abruptly() {
    ::TerminateProcess(::GetCurrentProcess(), 137);
    ::ExitProcess(137);
}

const int abrupt_exit_status = 137;

bool os_has_peer_process() { return true; }

std::string current_user_id() {
    HANDLE token = nullptr;
    if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token))
        throw std::system_error(static_cast<int>(::GetLastError()), std::system_category(), "OpenProcessToken");
    DWORD size = 0;
    ::GetTokenInformation(token, TokenUser, nullptr, 0, &size);
    std::vector<unsigned char> user(size);
    const BOOL got = ::GetTokenInformation(token, TokenUser, user.data(), size, &size);
    ::CloseHandle(token);
    char* text = nullptr;
    if (!got || !::ConvertSidToStringSidA(reinterpret_cast<TOKEN_USER*>(user.data())->User.Sid, &text))
        throw std::system_error(static_cast<int>(::GetLastError()), std::system_category(), "token user SID");
    std::string sid(text);
    ::LocalFree(text);
    return sid;
}

bool running_under_wine() {
    const HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
    return ntdll != nullptr && ::GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

} // namespace testing
