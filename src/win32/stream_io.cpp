// LocalStream's I/O on Windows: one ReadFile / WriteFile under the stream's
// timeout and blocking mode (with read-ahead for framed streams and writes
// left in flight when non-blocking), and the frames that let a byte stream
// carry handles (docs/wire-format.md).
#include "duplication.hpp"
#include "stream_impl.hpp"
#include "../operation_error.hpp"

#include <localsock/error.hpp>

#include <algorithm>
#include <cstring>
#include <new>
#include <utility>

namespace localsock {
namespace win32 {
namespace {

constexpr DWORD max_io_chunk = 1u << 30;
constexpr std::size_t write_buffer_size = 65536;
// A read smaller than this on a framed stream reads ahead up to this much:
// one ReadFile then serves a frame's prefix and payload, or several frames.
constexpr std::size_t read_ahead_size = 65536;
// A frame whose prefix and payload fit this goes out in one WriteFile (the
// copy costs less than a second system call).
constexpr std::size_t small_frame_size = 16384 + wire::max_prefix_size;

std::error_code corrupt(Inbound& in) noexcept {
    in.corrupt = true;
    return errc::protocol_error;
}

void close_pending(Inbound& in) noexcept {
    for (std::size_t i = 0; i < in.pending_count; ++i)
        in.pending[i].reset();
    in.pending_count = 0;
}

// The handle values of a complete prefix become owners at once, where the
// peer had the power to put them there (duplication.hpp). Values that cannot
// be a peer's handles (wire::decode_prefix) make the frame corrupt; then
// none of them is touched, since they may name this process's own handles.
bool take_handles(LocalStream::Impl& s, std::error_code& ec) noexcept {
    Inbound& in = s.in;
    wire::Header header;
    if (!wire::decode_prefix(in.prefix.data(), in.header.prefix_size(), header)) {
        ec = corrupt(in);
        return false;
    }
    const std::size_t count = header.handle_count;
    const std::byte* values = in.prefix.data() + wire::header_size;
    if (count == 0)
        return true;
    if (count > s.max_handles) {
        discard_values(s, header, values);
        in.dropped = header.table == wire::Table::receiver && !peer_may_push(s)
                         ? std::make_error_code(std::errc::permission_denied)
                         : make_error_code(errc::handles_truncated);
        return true;
    }
    in.dropped = take_values(s, header, values, in.pending.data());
    if (!in.dropped)
        in.pending_count = count;
    return true;
}

void deliver_pending(Inbound& in, std::vector<OwnedHandle>* out, std::error_code& ec) noexcept {
    if (in.dropped) {
        ec = std::exchange(in.dropped, {});
        return;
    }
    if (in.pending_count == 0)
        return;
    if (out == nullptr) {
        close_pending(in);
        return;
    }
    try {
        out->reserve(out->size() + in.pending_count);
    } catch (const std::exception&) {
        close_pending(in);
        ec = std::make_error_code(std::errc::not_enough_memory);
        return;
    }
    for (std::size_t i = 0; i < in.pending_count; ++i)
        out->push_back(std::move(in.pending[i]));
    in.pending_count = 0;
}

} // namespace

namespace {

std::size_t read_direct(LocalStream::Impl& s, void* data, std::size_t size, std::error_code& ec) noexcept {
    DWORD want = static_cast<DWORD>(std::min<std::size_t>(size, max_io_chunk));
    const HANDLE pipe = s.pipe.get();
    if (s.nonblocking) {
        const DWORD available = queued_bytes(s, ec);
        if (available == 0) // would_block, an error, or end of stream
            return 0;
        want = std::min(want, available);
    }
    const IoResult r = s.read_io.run(pipe, s.nonblocking ? INFINITE : s.read_timeout, [&](OVERLAPPED* o) {
        return ::ReadFile(pipe, data, want, nullptr, o);
    });
    if (r.error != 0) {
        if (!peer_gone(r.error))
            ec = make_error(r.error);
        return 0;
    }
    if (r.timed_out && r.bytes == 0)
        ec = std::make_error_code(std::errc::timed_out);
    return r.bytes;
}

} // namespace

std::size_t read_raw(LocalStream::Impl& s, void* data, std::size_t size, std::error_code& ec) noexcept {
    if (s.ahead_begin < s.ahead_end) {
        const std::size_t n = std::min(size, s.ahead_end - s.ahead_begin);
        std::memcpy(data, s.read_ahead.get() + s.ahead_begin, n);
        s.ahead_begin += n;
        return n;
    }
    // A small read of a framed stream takes what is there, up to a buffer's
    // worth: the rest of the frame (or the next one) is then served from it.
    if (s.handle_passing && size < read_ahead_size) {
        if (!s.read_ahead)
            s.read_ahead.reset(new (std::nothrow) std::byte[read_ahead_size]);
        if (s.read_ahead) {
            const std::size_t got = read_direct(s, s.read_ahead.get(), read_ahead_size, ec);
            const std::size_t n = std::min(size, got);
            std::memcpy(data, s.read_ahead.get(), n);
            s.ahead_begin = n;
            s.ahead_end = got;
            return n;
        }
    }
    return read_direct(s, data, size, ec);
}

namespace {

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

namespace {

std::size_t read_framed(LocalStream::Impl& s, MutableBuffer buffer, std::vector<OwnedHandle>* handles,
                        std::error_code& ec) noexcept {
    Inbound& in = s.in;
    if (in.corrupt) {
        ec = errc::protocol_error;
        return 0;
    }
    for (;;) {
        if (in.payload_left > 0) {
            // Never past the frame: its handles belong to these bytes only.
            const std::size_t want = std::min<std::size_t>(buffer.size(), in.payload_left);
            const std::size_t n = read_raw(s, buffer.data(), want, ec);
            if (ec)
                return 0;
            if (n == 0) { // the peer died mid-frame
                in.ended = true;
                in.payload_left = 0;
                close_pending(in);
                return 0;
            }
            in.payload_left -= static_cast<std::uint32_t>(n);
            deliver_pending(in, handles, ec);
            return n;
        }
        if (in.ended)
            return 0;
        const std::size_t want = in.header_known ? in.header.prefix_size() : wire::header_size;
        const std::size_t n = read_raw(s, in.prefix.data() + in.have, want - in.have, ec);
        if (ec)
            return 0;
        if (n == 0) { // end of stream, possibly inside a prefix whose values never came
            in.ended = true;
            return 0;
        }
        in.have += n;
        if (in.have < want)
            continue;
        if (!in.header_known) {
            if (!wire::decode(in.prefix.data(), in.header)) {
                ec = corrupt(in);
                return 0;
            }
            in.header_known = true;
            if (in.header.kind == wire::Kind::end_of_stream) {
                in.ended = true;
                return 0;
            }
            if (in.header.handle_count > 0)
                continue; // the values come next
        }
        if (!take_handles(s, ec))
            return 0;
        in.payload_left = in.header.payload_length;
        in.have = 0;
        in.header_known = false;
    }
}

} // namespace

std::size_t read_stream(LocalStream::Impl* s, MutableBuffer buffer, std::vector<OwnedHandle>* handles,
                        std::error_code& ec) noexcept {
    detail::clear(ec);
    if (!is_open(s)) {
        ec = not_open();
        return 0;
    }
    if (buffer.size() == 0 || s->read_shut)
        return 0;
    if (!s->handle_passing) // a plain pipe: bytes only, no handle can come
        return read_raw(*s, buffer.data(), buffer.size(), ec);
    return read_framed(*s, buffer, handles, ec);
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
