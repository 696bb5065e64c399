// Test support on Windows: child processes with CreateProcess.
#include "../process.hpp"

#include "../../../src/win32/command_line.hpp"

#include <windows.h>

#include <stdexcept>
#include <system_error>

namespace testing {
namespace {

[[noreturn]] void fail(const char* what) {
    const DWORD error = ::GetLastError();
    throw std::runtime_error(std::string(what) + " failed with Win32 error " + std::to_string(error));
}

std::wstring widen(const std::string& text) {
    const int units = ::MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0);
    std::wstring wide(static_cast<std::size_t>(units), L'\0');
    ::MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), wide.data(), units);
    return wide;
}

} // namespace

ChildProcess ChildProcess::spawn(const std::string& role, const RoleArguments& args, const Options& options) {
    if (!options.descriptors.empty() || !options.environment.empty())
        throw std::invalid_argument("descriptor and environment inheritance are POSIX-only in these tests");
    wchar_t program[MAX_PATH];
    if (::GetModuleFileNameW(nullptr, program, MAX_PATH) == 0)
        fail("GetModuleFileName");
    std::wstring line = L"\"" + std::wstring(program) + L"\" --child";
    localsock::win32::append_command_line_argument(line, widen(role));
    for (const std::string& arg : args)
        localsock::win32::append_command_line_argument(line, widen(arg));

    // Only the error output is inherited, so a failing child can say why
    // (and has a handle from its first moment: see count_in_system_table).
    HANDLE error_output = ::GetStdHandle(STD_ERROR_HANDLE);
    const bool share_errors =
        error_output != nullptr && error_output != INVALID_HANDLE_VALUE &&
        ::SetHandleInformation(error_output, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
    SIZE_T size = 0;
    ::InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
    std::vector<char> storage(size);
    auto* attributes = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(storage.data());
    if (!::InitializeProcThreadAttributeList(attributes, 1, 0, &size))
        fail("InitializeProcThreadAttributeList");
    if (share_errors)
        ::UpdateProcThreadAttribute(attributes, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, &error_output,
                                    sizeof error_output, nullptr, nullptr);
    STARTUPINFOEXW startup{};
    startup.StartupInfo.cb = sizeof startup;
    startup.lpAttributeList = attributes;
    if (share_errors) {
        startup.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
        startup.StartupInfo.hStdError = error_output;
    }
    PROCESS_INFORMATION process{};
    BOOL created = FALSE;
    // Wine very rarely fails a CreateProcess while another Wine process is
    // starting (about one suite run in a hundred); a retry is what a user
    // would do, and process creation is not what these tests test.
    for (int attempt = 0; attempt < 3 && !created; ++attempt) {
        if (attempt > 0)
            ::Sleep(50);
        created = ::CreateProcessW(program, line.data(), nullptr, nullptr, share_errors ? TRUE : FALSE,
                                   EXTENDED_STARTUPINFO_PRESENT, nullptr, nullptr, &startup.StartupInfo, &process);
    }
    ::DeleteProcThreadAttributeList(attributes);
    if (!created)
        fail("CreateProcess");
    ::CloseHandle(process.hThread);
    return ChildProcess(process.dwProcessId, process.hProcess);
}

int ChildProcess::wait() {
    if (::WaitForSingleObject(process_, INFINITE) != WAIT_OBJECT_0)
        fail("WaitForSingleObject");
    DWORD code = 0;
    ::GetExitCodeProcess(process_, &code);
    ::CloseHandle(process_);
    process_ = localsock::invalid_native_handle;
    pid_ = -1;
    return static_cast<int>(code);
}

ChildProcess::~ChildProcess() {
    if (process_ != localsock::invalid_native_handle) {
        ::TerminateProcess(process_, 1);
        ::WaitForSingleObject(process_, INFINITE);
        ::CloseHandle(process_);
    }
}

} // namespace testing
