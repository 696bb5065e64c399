#include "overlapped.hpp"

namespace localsock::win32 {

bool Overlapped::open(std::error_code& ec) noexcept {
    if (prepare()) // a new event is not signalled: nothing to reset
        return true;
    ec = last_error();
    return false;
}

bool Overlapped::prepare() noexcept {
    if (!event_) {
        event_ = own(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
        if (!event_)
            return false;
    }
    overlapped_ = OVERLAPPED{};
    // The low bit set: the completion signals the event and is never queued
    // to a completion port the handle may be bound to (the Asio layer binds
    // its pipes to its io_context's port and still calls the sync code,
    // which must not feed that port packets it does not know).
    overlapped_.hEvent = reinterpret_cast<HANDLE>(reinterpret_cast<ULONG_PTR>(event_.get()) | 1);
    return true;
}

void Overlapped::reset() noexcept {
    if (prepare())
        ::ResetEvent(event_.get());
}

IoResult Overlapped::finish(HANDLE file, DWORD timeout) noexcept {
    if (::WaitForSingleObject(event_.get(), timeout) != WAIT_OBJECT_0)
        return cancel(file);
    return collect(file, {});
}

IoResult Overlapped::cancel(HANDLE file) noexcept {
    ::CancelIoEx(file, &overlapped_);
    IoResult result;
    result.timed_out = true;
    return collect(file, result);
}

IoResult Overlapped::collect(HANDLE file, IoResult result) noexcept {
    // bWait = TRUE: after a cancellation, wait until the operation is really over.
    if (::GetOverlappedResult(file, &overlapped_, &result.bytes, TRUE)) {
        result.timed_out = false; // it completed before the cancellation took
        return result;
    }
    const DWORD error = ::GetLastError();
    if (!(error == ERROR_OPERATION_ABORTED && result.timed_out))
        result.error = error;
    return result;
}

} // namespace localsock::win32
