// What LocalStream and LocalSeqpacket share on Windows: the non-blocking write
// left in flight, the non-blocking read check, and the settings.
#include "pipe_core.hpp"

#include "duplication.hpp"
#include "../operation_error.hpp"

#include <algorithm>

namespace localsock::win32 {

bool finish_pending_write(PipeCore& core, std::error_code& ec) noexcept {
    if (!core.write_pending)
        return true;
    if (core.port_write != nullptr || core.prepared_size > 0) { // a port write: it ends through the port
        ec = std::make_error_code(std::errc::operation_would_block);
        return false;
    }
    if (!core.write_io.wait(core.nonblocking ? 0 : core.write_timeout)) {
        ec = std::make_error_code(core.nonblocking ? std::errc::operation_would_block : std::errc::timed_out);
        return false;
    }
    core.write_pending = false;
    core.in_flight_handles = 0;
    DWORD written = 0;
    if (!::GetOverlappedResult(core.pipe.get(), core.write_io.get(), &written, FALSE)) {
        ec = make_error(::GetLastError()); // that write failed: say so now
        return false;
    }
    return true;
}

bool start_pending_write(PipeCore& core, const void* data, DWORD size, std::error_code& ec) noexcept {
    if (core.port_prepare) { // the Asio operation starts it on its port
        core.prepared_data = data;
        core.prepared_size = size;
        core.prepared_payload = size;
        core.write_pending = true;
        core.in_flight_handles = 0;
        return true;
    }
    if (!core.write_io.prepare()) {
        ec = last_error();
        return false;
    }
    if (!::WriteFile(core.pipe.get(), data, size, nullptr, core.write_io.get()) &&
        ::GetLastError() != ERROR_IO_PENDING) {
        ec = last_error();
        return false;
    }
    core.write_pending = true; // collected by the next write, or cancelled
    core.in_flight_handles = 0; // the caller says which values it carries
    return true;
}

void cancel_pending_write(PipeCore& core) noexcept {
    if (!core.write_pending)
        return;
    if (core.port_write != nullptr || core.prepared_size > 0) {
        if (core.port_write == nullptr) { // prepared, never started: nothing went
            std::error_code ignored;
            finish_port_write(core, ERROR_OPERATION_ABORTED, 0, ignored);
            return;
        }
        // Started on the port, and never reported: the Asio layer reports a
        // write it cuts loose (release, close, shutdown) before it gets here
        // (completion_port.hpp, settle_write). Its OVERLAPPED is the Asio
        // operation's and may be freed already, so it is not read: the
        // buffer is waited for (the write's event), and the handle copies
        // are left where they are (the peer may own them).
        ::CancelIoEx(core.pipe.get(), core.port_write);
        ::WaitForSingleObject(core.write_io.event(), INFINITE);
        core.port_write = nullptr;
        core.write_pending = false;
        core.in_flight_handles = 0;
        return;
    }
    const IoResult r = core.write_io.cancel(core.pipe.get());
    if (!r.completed() && r.bytes == 0 && core.in_flight_handles > 0)
        withdraw_copies(core, core.in_flight_table, core.in_flight_values, core.in_flight_handles);
    core.write_pending = false;
    core.in_flight_handles = 0;
}

DWORD finish_port_write(PipeCore& core, DWORD error, DWORD bytes, std::error_code& ec) noexcept {
    bytes = std::min(bytes, core.prepared_size);
    if (error != 0)
        ec = make_error(error);
    if (bytes == 0 && core.in_flight_handles > 0) // the peer never sees this frame
        withdraw_copies(core, core.in_flight_table, core.in_flight_values, core.in_flight_handles);
    const DWORD unsent = core.prepared_size - bytes;
    core.write_pending = false;
    core.port_write = nullptr;
    core.prepared_data = nullptr;
    core.prepared_size = 0;
    core.in_flight_handles = 0;
    return unsent;
}

DWORD queued_bytes(PipeCore& core, std::error_code& ec) noexcept {
    DWORD available = 0;
    if (!::PeekNamedPipe(core.pipe.get(), nullptr, 0, nullptr, &available, nullptr)) {
        const DWORD error = ::GetLastError();
        if (!peer_gone(error))
            ec = make_error(error);
        return 0;
    }
    if (available == 0)
        ec = std::make_error_code(std::errc::operation_would_block);
    return available;
}

void set_timeout(PipeCore* core, DWORD PipeCore::*field, std::chrono::milliseconds timeout,
                 std::error_code& ec) noexcept {
    detail::clear(ec);
    if (!is_open(core))
        ec = not_open();
    else if (timeout.count() < 0)
        ec = std::make_error_code(std::errc::invalid_argument);
    else
        core->*field = to_timeout(timeout);
}

PipeCore::~PipeCore() {
    if (close_error != nullptr && pipe.valid() && !::CloseHandle(pipe.release()))
        *close_error = last_error();
}

void set_nonblocking(PipeCore* core, bool nonblocking, std::error_code& ec) noexcept {
    detail::clear(ec);
    if (!is_open(core))
        ec = not_open();
    else
        core->nonblocking = nonblocking;
}

void set_handle_limit(PipeCore* core, std::size_t limit, std::error_code& ec) noexcept {
    detail::clear(ec);
    if (!is_open(core))
        ec = not_open();
    else if (limit > max_handles_per_message)
        ec = errc::too_many_handles;
    else
        core->max_handles = limit;
}

bool shutdown_needs_end_frame(PipeCore* core, Shutdown how, std::error_code& ec) noexcept {
    detail::clear(ec);
    if (!is_open(core)) {
        ec = not_open();
        return false;
    }
    if (how != Shutdown::write)
        core->read_shut = true;
    if (how == Shutdown::read || core->write_shut)
        return false;
    if (!core->handle_passing) {
        ec = std::make_error_code(std::errc::not_supported);
        return false;
    }
    return true;
}

} // namespace localsock::win32
