// Private: one overlapped operation at a time, with a timeout that really
// works (wait, then CancelIoEx, then collect what was transferred).
#pragma once

#include "win32.hpp"

#include <algorithm>
#include <chrono>

namespace localsock::win32 {

// A read/write timeout as the waits take it: zero (the API's "forever") is INFINITE.
inline DWORD to_timeout(std::chrono::milliseconds timeout) noexcept {
    if (timeout.count() == 0)
        return INFINITE;
    return static_cast<DWORD>(std::min<long long>(timeout.count(), INFINITE - 1));
}

struct IoResult {
    DWORD bytes = 0;       // transferred, also when cancelled part way
    DWORD error = 0;       // 0, or the Win32 error that ended the operation
    bool timed_out = false; // cancelled because the timeout passed

    bool completed() const noexcept { return error == 0 && !timed_out; }
};

// Pinned: the system writes into the OVERLAPPED while an operation is
// pending, so it can never be copied or moved.
class Overlapped {
public:
    Overlapped() = default;
    Overlapped(const Overlapped&) = delete;
    Overlapped& operator=(const Overlapped&) = delete;

    // A manual-reset event for the OVERLAPPED (one per direction of a
    // connection, so a reader and a writer thread never share one). run()
    // and prepare() create it on first use; open() creates it now, and says
    // why it could not.
    bool open(std::error_code& ec) noexcept;

    // Starts an operation with `start(OVERLAPPED*)` (ReadFile, WriteFile,
    // ConnectNamedPipe...) and waits up to `timeout` ms (INFINITE, or 0 to
    // poll) for it. Past the timeout the operation is cancelled and the wait
    // continues until the cancellation lands, so the OVERLAPPED is free again.
    template <class Start>
    IoResult run(HANDLE file, DWORD timeout, Start start) noexcept {
        IoResult result;
        if (!prepare()) {
            result.error = ::GetLastError();
            return result;
        }
        if (!start(&overlapped_)) {
            const DWORD error = ::GetLastError();
            if (error == ERROR_IO_PENDING)
                return finish(file, timeout);
            // A message-mode read of part of a message completed with a
            // status: collect the bytes it did transfer.
            if (error == ERROR_MORE_DATA)
                return collect(file, result);
            result.error = error;
            return result;
        }
        return collect(file, result);
    }

    // For an operation left pending (a non-blocking write in flight): true
    // once it has completed, false if `timeout` ms passed first (it stays
    // pending).
    bool wait(DWORD timeout) noexcept { return ::WaitForSingleObject(event_.get(), timeout) == WAIT_OBJECT_0; }
    // Cancels the operation left pending and waits until it is over, so the
    // OVERLAPPED and its buffer are free again; timed_out if the
    // cancellation took before it completed.
    IoResult cancel(HANDLE file) noexcept;
    OVERLAPPED* get() noexcept { return &overlapped_; }
    // The event itself (OVERLAPPED.hEvent carries it with its low bit set).
    HANDLE event() const noexcept { return event_.get(); }
    // A fresh OVERLAPPED for ReadFile/WriteFile, which reset the event
    // themselves when they start (one system call fewer per operation).
    bool prepare() noexcept;
    // The same, with the event reset too: for ConnectNamedPipe.
    void reset() noexcept;

private:
    IoResult finish(HANDLE file, DWORD timeout) noexcept;
    IoResult collect(HANDLE file, IoResult result) noexcept;

    OVERLAPPED overlapped_{};
    OwnedHandle event_;
};

} // namespace localsock::win32
