// LocalStream's writes on Windows: one WriteFile under the stream's timeout
// and blocking mode (left in flight when non-blocking), and the frames that
// let a byte stream carry handles (docs/wire-format.md). Reads are in
// stream_read.cpp.
#include "duplication.hpp"
#include "stream_impl.hpp"
#include "../operation_error.hpp"

#include <localsock/error.hpp>

#include <algorithm>
#include <cstring>
#include <new>

namespace localsock {
namespace win32 {
namespace {

constexpr std::size_t write_buffer_size = 65536;
// A frame whose prefix and payload fit this goes out in one WriteFile (the
// copy costs less than a second system call).
constexpr std::size_t small_frame_size = 16384 + wire::max_prefix_size;

// The buffer non-blocking writes leave in flight, allocated by the first one.
bool have_write_buffer(LocalStream::Impl& s, std::error_code& ec) noexcept {
    if (!s.write_buffer)
        s.write_buffer.reset(new (std::nothrow) std::byte[write_buffer_size]);
    if (!s.write_buffer)
        ec = std::make_error_code(std::errc::not_enough_memory);
    return s.write_buffer != nullptr;
}

// Non-blocking: copy what fits into the stream's buffer, which outlives the
// call, and leave the write in flight (PipeCore).
std::size_t start_background_write(LocalStream::Impl& s, const void* data, std::size_t size,
                                   std::error_code& ec) noexcept {
    if (!have_write_buffer(s, ec))
        return 0;
    const DWORD n = static_cast<DWORD>(std::min(size, write_buffer_size));
    std::memcpy(s.write_buffer.get(), data, n);
    return start_pending_write(s, s.write_buffer.get(), n, ec) ? n : 0;
}

} // namespace

std::size_t write_raw(LocalStream::Impl& s, const void* data, std::size_t size, std::error_code& ec) noexcept {
    if (!finish_pending_write(s, ec))
        return 0;
    if (s.nonblocking)
        return start_background_write(s, data, size, ec);
    const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(size, max_io_chunk));
    const HANDLE pipe = s.pipe.get();
    const IoResult r = s.write_io.run(pipe, s.write_timeout, [&](OVERLAPPED* o) {
        return ::WriteFile(pipe, data, chunk, nullptr, o);
    });
    if (r.error != 0)
        ec = make_error(r.error);
    else if (r.timed_out && r.bytes == 0)
        ec = std::make_error_code(std::errc::timed_out);
    return r.bytes;
}

void start_frame(LocalStream::Impl& s, const wire::Header& header) noexcept {
    Outbound& out = s.out;
    wire::encode(header, out.prefix.data());
    out.size = header.prefix_size();
    out.sent = 0;
    out.payload_owed = header.payload_length;
}

namespace {

// Non-blocking: the prefix and as much payload as fits go into the stream's
// buffer (one copy) and out in one write left in flight, so a frame's
// handles always go with at least one byte of it. If that write is
// cancelled before a byte went out, PipeCore closes the handles' copies in
// the peer.
std::size_t start_frame_in_flight(LocalStream::Impl& s, const void* data, std::size_t size,
                                  std::error_code& ec) noexcept {
    Outbound& out = s.out;
    const std::size_t payload = std::min(size, write_buffer_size - out.size);
    if (!finish_pending_write(s, ec) || !have_write_buffer(s, ec)) {
        out.size = 0; // nothing of this frame went out: abandon it
        out.payload_owed = 0;
        return 0;
    }
    std::memcpy(s.write_buffer.get(), out.prefix.data(), out.size);
    std::memcpy(s.write_buffer.get() + out.size, data, payload);
    if (!start_pending_write(s, s.write_buffer.get(), static_cast<DWORD>(out.size + payload), ec)) {
        out.size = 0;
        out.payload_owed = 0;
        return 0;
    }
    s.prepared_payload = static_cast<DWORD>(payload); // the rest is prefix
    s.in_flight_values = s.write_buffer.get() + wire::header_size; // stays as it is while in flight
    s.in_flight_handles = (out.size - wire::header_size) / wire::value_size;
    s.in_flight_table = send_table(s);
    out.sent = out.size;
    out.payload_owed -= static_cast<std::uint32_t>(payload);
    return payload;
}

} // namespace

std::size_t write_frame_start(LocalStream::Impl& s, const void* data, std::size_t size, std::error_code& ec) noexcept {
    Outbound& out = s.out;
    size = std::min<std::size_t>(size, out.payload_owed);
    if (s.nonblocking)
        return start_frame_in_flight(s, data, size, ec);
    if (out.size + size > small_frame_size) {
        if (!flush_prefix(s, ec))
            return 0;
        const std::size_t n = write_raw(s, data, size, ec);
        out.payload_owed -= static_cast<std::uint32_t>(n);
        return n;
    }
    // Small: prefix and payload in one write.
    std::byte frame_bytes[small_frame_size]; // on the stack: no allocation per message
    std::memcpy(frame_bytes, out.prefix.data(), out.size);
    std::memcpy(frame_bytes + out.size, data, size);
    const std::size_t n = write_raw(s, frame_bytes, out.size + size, ec);
    out.sent = std::min(n, out.size);
    const std::size_t payload = n - out.sent;
    out.payload_owed -= static_cast<std::uint32_t>(payload);
    if (out.sent == 0) { // nothing of this frame went out: abandon it
        out.size = 0;
        out.payload_owed = 0;
    }
    return payload;
}

bool flush_prefix(LocalStream::Impl& s, std::error_code& ec) noexcept {
    Outbound& out = s.out;
    while (out.sent < out.size) {
        out.sent += write_raw(s, out.prefix.data() + out.sent, out.size - out.sent, ec);
        s.prepared_payload = 0; // completion-port mode: those bytes are prefix
        if (ec) {
            if (out.sent == 0) { // nothing of this frame left: abandon it
                out.size = 0;
                out.payload_owed = 0;
            }
            return false;
        }
    }
    return true;
}

std::size_t write_framed(LocalStream::Impl& s, ConstBuffer data, std::error_code& ec) noexcept {
    if (s.write_shut) {
        ec = std::make_error_code(std::errc::broken_pipe);
        return 0;
    }
    if (data.size() == 0 || !flush_prefix(s, ec))
        return 0;
    if (s.out.payload_owed == 0) {
        wire::Header header;
        header.payload_length = static_cast<std::uint32_t>(std::min<std::size_t>(data.size(), wire::max_payload));
        start_frame(s, header);
        return write_frame_start(s, data.data(), data.size(), ec);
    }
    const std::size_t n = write_raw(s, data.data(), std::min<std::size_t>(data.size(), s.out.payload_owed), ec);
    s.out.payload_owed -= static_cast<std::uint32_t>(n);
    return n;
}

} // namespace win32
} // namespace localsock
