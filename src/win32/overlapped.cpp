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
    overlapped_.hEvent = event_.get();
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
