#include "pipes.hpp"

#include "security.hpp"

#include <algorithm>
#include <atomic>
#include <new>

namespace localsock::win32 {
namespace {

std::atomic<unsigned> pair_counter{0};

DWORD pipe_mode(PipeType type) noexcept {
    const DWORD mode = type == PipeType::message ? PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE
                                                 : PIPE_TYPE_BYTE | PIPE_READMODE_BYTE;
    return mode | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS;
}

// CreateFileW once; on failure the handle is invalid and `error` says why.
OwnedHandle open_end(const std::wstring& path, DWORD& error) noexcept {
    OwnedHandle pipe = own(::CreateFileW(path.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                                         FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION,
                                         nullptr));
    error = pipe ? 0 : ::GetLastError();
    return pipe;
}

// A client end reads in byte mode until told otherwise.
bool set_read_mode(HANDLE pipe, PipeType type, std::error_code& ec) noexcept {
    if (type == PipeType::byte)
        return true;
    DWORD mode = PIPE_READMODE_MESSAGE;
    if (::SetNamedPipeHandleState(pipe, &mode, nullptr, nullptr))
        return true;
    const DWORD error = ::GetLastError();
    // Message reads on a byte-type pipe: the server is not a message socket.
    ec = error == ERROR_INVALID_PARAMETER ? std::make_error_code(std::errc::wrong_protocol_type) : make_error(error);
    return false;
}

} // namespace

OwnedHandle create_instance(const std::wstring& path, PipeType type, bool first, DWORD max_instances,
                            SECURITY_ATTRIBUTES* security, std::error_code& ec) noexcept {
    const DWORD open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
    OwnedHandle pipe = own(::CreateNamedPipeW(path.c_str(), open_mode, pipe_mode(type), max_instances,
                                              pipe_buffer_size, pipe_buffer_size, 0, security));
    if (!pipe) {
        const DWORD error = ::GetLastError();
        // FILE_FLAG_FIRST_PIPE_INSTANCE on a name that exists: someone has it.
        ec = first && error == ERROR_ACCESS_DENIED ? std::make_error_code(std::errc::address_in_use)
                                                   : make_error(error);
    }
    return pipe;
}

OwnedHandle open_client(const std::wstring& path, PipeType type, std::chrono::milliseconds busy_timeout,
                        std::error_code& ec) noexcept {
    const ULONGLONG deadline = ::GetTickCount64() + static_cast<ULONGLONG>(std::max<long long>(busy_timeout.count(), 0));
    for (;;) {
        DWORD error = 0;
        OwnedHandle pipe = open_end(path, error);
        if (pipe) {
            if (!set_read_mode(pipe.get(), type, ec))
                return {};
            return pipe;
        }
        if (error == ERROR_FILE_NOT_FOUND) { // no such pipe: nobody listens on that name
            ec = std::make_error_code(std::errc::connection_refused);
            return {};
        }
        if (error != ERROR_PIPE_BUSY) {
            ec = make_error(error);
            return {};
        }
        // Every instance is taken: wait for one, within the budget.
        const ULONGLONG now = ::GetTickCount64();
        if (now >= deadline ||
            (!::WaitNamedPipeW(path.c_str(), static_cast<DWORD>(deadline - now)) && ::GetLastError() == ERROR_SEM_TIMEOUT)) {
            ec = std::make_error_code(std::errc::timed_out);
            return {};
        }
    }
}

bool create_pair(PipeType type, OwnedHandle& server, OwnedHandle& client, std::error_code& ec) noexcept {
    try {
        const std::wstring path = L"\\\\.\\pipe\\localsock-pair-" + std::to_wstring(::GetCurrentProcessId()) + L"-" +
                                  std::to_wstring(pair_counter++) + L"-" + std::to_wstring(::GetTickCount64());
        SecurityAttributes security;
        if (!security.open({}, ec))
            return false;
        OwnedHandle first = create_instance(path, type, true, 1, security.get(), ec);
        if (!first)
            return false;
        DWORD error = 0;
        OwnedHandle second = open_end(path, error);
        if (!second) {
            ec = make_error(error);
            return false;
        }
        // Connected from here on: ConnectNamedPipe would only report
        // ERROR_PIPE_CONNECTED ("a good connection"), so it is not called.
        if (!set_read_mode(second.get(), type, ec))
            return false;
        server = std::move(first);
        client = std::move(second);
        return true;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return false;
    }
}

bool name_taken(const std::wstring& path) noexcept {
    return ::WaitNamedPipeW(path.c_str(), 1) || ::GetLastError() != ERROR_FILE_NOT_FOUND;
}

} // namespace localsock::win32
