// Private: the settings every pipe-backed connection has (LocalStream,
// LocalSeqpacket), written once for both Impl types. The overlapped waits
// read the timeouts; "non-blocking" is a zero wait there.
#pragma once

#include "overlapped.hpp"
#include "pipes.hpp"
#include "win32.hpp"
#include "../operation_error.hpp"

#include <localsock/error.hpp>
#include <localsock/stream.hpp>

#include <chrono>
#include <memory>
#include <system_error>

namespace localsock::win32 {

template <class Impl>
bool pipe_open(const Impl* impl) noexcept {
    return impl != nullptr && impl->pipe.valid();
}

// A negative timeout is refused.
template <class Impl>
void set_timeout(Impl* impl, DWORD Impl::*field, std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    detail::clear(ec);
    if (!pipe_open(impl))
        ec = not_open();
    else if (timeout.count() < 0)
        ec = std::make_error_code(std::errc::invalid_argument);
    else
        impl->*field = to_timeout(timeout);
}

template <class Impl>
void set_nonblocking(Impl* impl, bool nonblocking, std::error_code& ec) noexcept {
    detail::clear(ec);
    if (!pipe_open(impl))
        ec = not_open();
    else
        impl->nonblocking = nonblocking;
}

template <class Impl>
void set_handle_limit(Impl* impl, std::size_t limit, std::error_code& ec) noexcept {
    detail::clear(ec);
    if (!pipe_open(impl))
        ec = not_open();
    else if (limit > max_handles_per_message)
        ec = errc::too_many_handles;
    else
        impl->max_handles = limit;
}

// Gives up the pipe; a write still in flight is cancelled first.
template <class Impl>
OwnedHandle release_pipe(std::unique_ptr<Impl>& impl) noexcept {
    if (!impl)
        return {};
    impl->cancel_pending_write();
    OwnedHandle pipe = std::move(impl->pipe);
    impl.reset();
    return pipe;
}

} // namespace localsock::win32
