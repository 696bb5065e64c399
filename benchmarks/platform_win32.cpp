#include "harness.hpp"
#include "platform.hpp"

#include <windows.h>

#include <algorithm>
#include <utility>

namespace bench {

std::vector<localsock::OwnedHandle> handles_to_send(std::size_t count) {
    std::vector<localsock::OwnedHandle> handles;
    for (std::size_t i = 0; i < count; ++i) {
        const HANDLE event = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
        if (event == nullptr)
            fail("CreateEvent");
        handles.emplace_back(event);
    }
    return handles;
}

bool pin_to_cpu(unsigned cpu) {
    return ::SetProcessAffinityMask(::GetCurrentProcess(), DWORD_PTR{1} << cpu) != 0;
}

unsigned long process_id() { return ::GetCurrentProcessId(); }

std::string this_program(const char*) {
    char path[MAX_PATH];
    const DWORD length = ::GetModuleFileNameA(nullptr, path, MAX_PATH);
    if (length == 0 || length == MAX_PATH)
        fail("GetModuleFileName");
    return std::string(path, length);
}

// The arguments are bench-bulk's own (names, numbers): no quoting needed
// beyond the program's path.
Child Child::start(const std::string& program, const std::vector<std::string>& args) {
    std::string command = "\"" + program + "\"";
    for (const std::string& arg : args)
        command += " " + arg;
    STARTUPINFOA startup{};
    startup.cb = sizeof startup;
    PROCESS_INFORMATION info{};
    if (!::CreateProcessA(program.c_str(), command.data(), nullptr, nullptr, FALSE, 0, nullptr, nullptr, &startup,
                          &info))
        fail("CreateProcess " + program);
    ::CloseHandle(info.hThread);
    Child child;
    child.process_ = info.hProcess;
    child.id_ = static_cast<long>(info.dwProcessId);
    return child;
}

Child::Child(Child&& other) noexcept
    : process_(std::exchange(other.process_, nullptr)), id_(std::exchange(other.id_, -1)) {}

Child::~Child() {
    if (process_ != nullptr)
        (void)wait();
}

int Child::wait() {
    ::WaitForSingleObject(process_, INFINITE);
    DWORD status = 1;
    ::GetExitCodeProcess(process_, &status);
    ::CloseHandle(process_);
    process_ = nullptr;
    return static_cast<int>(status);
}

// localsock's pipes are overlapped handles: a read or write takes an
// OVERLAPPED and waits for its result (one event, made once).
namespace {

DWORD transfer(localsock::native_handle_type handle, std::byte* data, std::size_t size, bool write) {
    static const HANDLE event = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
    OVERLAPPED overlapped{};
    overlapped.hEvent = event;
    const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(size, 1u << 30));
    DWORD n = 0;
    const BOOL done = write ? ::WriteFile(handle, data, chunk, &n, &overlapped)
                            : ::ReadFile(handle, data, chunk, &n, &overlapped);
    if (!done && (::GetLastError() != ERROR_IO_PENDING || !::GetOverlappedResult(handle, &overlapped, &n, TRUE)))
        fail(write ? "WriteFile" : "ReadFile");
    if (n == 0)
        fail(write ? "WriteFile: nothing written" : "ReadFile: end of stream");
    return n;
}

} // namespace

void raw_write_all(localsock::native_handle_type handle, std::span<const std::byte> bytes) {
    for (std::size_t done = 0; done < bytes.size();)
        done += transfer(handle, const_cast<std::byte*>(bytes.data()) + done, bytes.size() - done, true);
}

void raw_read_exact(localsock::native_handle_type handle, std::span<std::byte> bytes) {
    for (std::size_t done = 0; done < bytes.size();)
        done += transfer(handle, bytes.data() + done, bytes.size() - done, false);
}

} // namespace bench
