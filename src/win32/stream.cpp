// LocalStream on Windows: named-pipe client ends, pairs, byte I/O and the
// framing that lets a byte stream carry handles.
#include "duplication.hpp"
#include "pipe_controls.hpp"
#include "pipes.hpp"
#include "stream_impl.hpp"
#include "../operation_error.hpp"

#include <localsock/error.hpp>

#include <algorithm>
#include <cstring>
#include <new>

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
constexpr std::size_t small_frame_size = 16384 + frame::max_prefix_size;

std::error_code corrupt(Inbound& in) noexcept {
    in.corrupt = true;
    return errc::protocol_error;
}

void close_pending(Inbound& in) noexcept {
    for (std::size_t i = 0; i < in.pending_count; ++i)
        in.pending[i].reset();
    in.pending_count = 0;
}

// The handle values of a complete prefix become owners at once. Values that
// cannot be handles make the frame corrupt; then none of them is closed,
// since they may name this process's own handles.
bool take_handles(LocalStream::Impl& s, std::error_code& ec) noexcept {
    Inbound& in = s.in;
    const std::size_t count = in.header.handle_count;
    const std::byte* values = in.prefix.data() + frame::header_size;
    if (!plausible_values(values, count)) {
        ec = corrupt(in);
        return false;
    }
    own_values(values, count, in.pending.data());
    in.pending_count = count;
    if (count > s.max_handles) {
        close_pending(in);
        in.truncated = true;
    }
    return true;
}

void deliver_pending(Inbound& in, std::vector<OwnedHandle>* out, std::error_code& ec) noexcept {
    if (in.truncated) {
        in.truncated = false;
        ec = errc::handles_truncated;
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

std::unique_ptr<LocalStream::Impl> make_stream(OwnedHandle pipe, const LocalSocketName& name, bool is_server,
                                               bool handle_passing, std::error_code& ec) noexcept {
    try {
        auto impl = std::make_unique<LocalStream::Impl>(); // events come with the first I/O
        impl->pipe = std::move(pipe);
        impl->name = name;
        impl->is_server = is_server;
        impl->handle_passing = handle_passing;
        return impl;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return nullptr;
    }
}

namespace {

std::size_t read_direct(LocalStream::Impl& s, void* data, std::size_t size, std::error_code& ec) noexcept {
    DWORD want = static_cast<DWORD>(std::min<std::size_t>(size, max_io_chunk));
    const HANDLE pipe = s.pipe.get();
    if (s.nonblocking) {
        // Overlapped reads cannot be abandoned without risk of losing data,
        // so a non-blocking read only starts when bytes are there.
        DWORD available = 0;
        if (!::PeekNamedPipe(pipe, nullptr, 0, nullptr, &available, nullptr)) {
            const DWORD error = ::GetLastError();
            if (!peer_gone(error))
                ec = make_error(error);
            return 0;
        }
        if (available == 0) {
            ec = std::make_error_code(std::errc::operation_would_block);
            return 0;
        }
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

// Waits (up to `timeout` ms) for the write a non-blocking call left in flight.
bool finish_pending_write(LocalStream::Impl& s, DWORD timeout, std::error_code& ec) noexcept {
    if (!s.write_pending)
        return true;
    if (!s.write_io.wait(timeout)) {
        ec = std::make_error_code(s.nonblocking ? std::errc::operation_would_block : std::errc::timed_out);
        return false;
    }
    s.write_pending = false;
    DWORD written = 0;
    if (!::GetOverlappedResult(s.pipe.get(), s.write_io.get(), &written, FALSE)) {
        ec = make_error(::GetLastError());
        return false;
    }
    return true;
}

// Non-blocking: copy what fits into the stream's buffer and leave the write
// in flight. (Polling a write and cancelling it does not work: the system may
// complete even a small pipe write asynchronously.)
std::size_t start_background_write(LocalStream::Impl& s, const void* data, std::size_t size,
                                   std::error_code& ec) noexcept {
    if (!s.write_buffer) {
        s.write_buffer.reset(new (std::nothrow) std::byte[write_buffer_size]);
        if (!s.write_buffer) {
            ec = std::make_error_code(std::errc::not_enough_memory);
            return 0;
        }
    }
    const DWORD n = static_cast<DWORD>(std::min(size, write_buffer_size));
    std::memcpy(s.write_buffer.get(), data, n);
    if (!s.write_io.prepare()) {
        ec = last_error();
        return 0;
    }
    if (!::WriteFile(s.pipe.get(), s.write_buffer.get(), n, nullptr, s.write_io.get())) {
        const DWORD error = ::GetLastError();
        if (error != ERROR_IO_PENDING) {
            ec = make_error(error);
            return 0;
        }
    }
    s.write_pending = true; // collected by the next write, or cancelled by the destructor
    return n;
}

} // namespace

std::size_t write_raw(LocalStream::Impl& s, const void* data, std::size_t size, std::error_code& ec) noexcept {
    if (!finish_pending_write(s, s.nonblocking ? 0 : s.write_timeout, ec))
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
        const std::size_t want = in.header_known ? in.header.prefix_size() : frame::header_size;
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
            if (!frame::decode(in.prefix.data(), in.header)) {
                ec = corrupt(in);
                return 0;
            }
            in.header_known = true;
            if (in.header.kind == frame::Kind::end_of_stream) {
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

void start_frame(LocalStream::Impl& s, const frame::Header& header, const std::uint64_t* values) noexcept {
    Outbound& out = s.out;
    frame::encode(header, out.prefix.data());
    for (std::size_t i = 0; i < header.handle_count; ++i)
        frame::encode_value(values[i], out.prefix.data() + frame::header_size + i * frame::value_size);
    out.size = header.prefix_size();
    out.sent = 0;
    out.payload_owed = header.payload_length;
}

std::size_t write_frame_start(LocalStream::Impl& s, const void* data, std::size_t size, std::error_code& ec) noexcept {
    Outbound& out = s.out;
    size = std::min<std::size_t>(size, out.payload_owed);
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
        frame::Header header;
        header.payload_length = static_cast<std::uint32_t>(std::min<std::size_t>(data.size(), frame::max_payload));
        start_frame(s, header, nullptr);
        return write_frame_start(s, data.data(), data.size(), ec);
    }
    const std::size_t n = write_raw(s, data.data(), std::min<std::size_t>(data.size(), s.out.payload_owed), ec);
    s.out.payload_owed -= static_cast<std::uint32_t>(n);
    return n;
}

} // namespace win32

void LocalStream::Impl::cancel_pending_write() noexcept {
    if (!write_pending)
        return;
    ::CancelIoEx(pipe.get(), write_io.get());
    DWORD ignored = 0;
    ::GetOverlappedResult(pipe.get(), write_io.get(), &ignored, TRUE); // the buffer is free again
    write_pending = false;
}

LocalStream::Impl::~Impl() {
    cancel_pending_write();
    if (!handle_passing || !pipe || in.ended) // after end of stream nothing more can come
        return;
    nonblocking = true;
    std::byte scratch[4096];
    std::error_code ec;
    // Bounded: only what is in the pipe now, and not forever if the peer keeps writing.
    for (int round = 0; round < 4096; ++round)
        if (win32::read_framed(*this, MutableBuffer(scratch, sizeof scratch), nullptr, ec) == 0 || ec)
            break;
}

LocalStream::LocalStream() noexcept = default;
LocalStream::LocalStream(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
LocalStream::LocalStream(LocalStream&&) noexcept = default;
LocalStream& LocalStream::operator=(LocalStream&&) noexcept = default;
LocalStream::~LocalStream() = default;

bool LocalStream::is_open() const noexcept { return impl_ && impl_->pipe.valid(); }

const LocalSocketName& LocalStream::name() const noexcept {
    static const LocalSocketName none;
    return impl_ ? impl_->name : none;
}

LocalStream LocalStream::connect(const LocalSocketName& name, const ConnectOptions& options,
                                 std::error_code& ec) noexcept {
    detail::clear(ec);
    if (name.empty()) {
        ec = errc::empty_name;
        return {};
    }
    try {
        OwnedHandle pipe =
            win32::open_client(win32::pipe_path(name), win32::PipeType::byte, options.busy_timeout, ec);
        if (!pipe)
            return {};
        return LocalStream(win32::make_stream(std::move(pipe), name, false, options.handle_passing, ec));
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

std::pair<LocalStream, LocalStream> LocalStream::pair(std::error_code& ec) noexcept {
    detail::clear(ec);
    OwnedHandle server, client;
    if (!win32::create_pair(win32::PipeType::byte, server, client, ec))
        return {};
    auto first = win32::make_stream(std::move(server), {}, true, true, ec);
    auto second = win32::make_stream(std::move(client), {}, false, true, ec);
    if (ec)
        return {};
    return {LocalStream(std::move(first)), LocalStream(std::move(second))};
}

LocalStream LocalStream::adopt(OwnedHandle handle, std::error_code& ec) noexcept {
    // A pipe handle says nothing about framing or which end it is.
    (void)handle;
    ec = std::make_error_code(std::errc::not_supported);
    return {};
}

std::size_t LocalStream::read_some(MutableBuffer buffer, std::error_code& ec) noexcept {
    detail::clear(ec);
    if (!is_open()) {
        ec = win32::not_open();
        return 0;
    }
    if (buffer.size() == 0 || impl_->read_shut)
        return 0;
    if (impl_->handle_passing)
        return win32::read_framed(*impl_, buffer, nullptr, ec);
    return win32::read_raw(*impl_, buffer.data(), buffer.size(), ec);
}

// Pipes have no scatter/gather: one buffer per call, as a short read or
// write is allowed to be.
std::size_t LocalStream::read_some(std::span<const MutableBuffer> buffers, std::error_code& ec) noexcept {
    for (const MutableBuffer& b : buffers)
        if (b.size() > 0)
            return read_some(b, ec);
    detail::clear(ec);
    if (!is_open())
        ec = win32::not_open();
    return 0;
}

std::size_t LocalStream::write_some(ConstBuffer buffer, std::error_code& ec) noexcept {
    detail::clear(ec);
    if (!is_open()) {
        ec = win32::not_open();
        return 0;
    }
    if (impl_->handle_passing)
        return win32::write_framed(*impl_, buffer, ec);
    if (impl_->write_shut) {
        ec = std::make_error_code(std::errc::broken_pipe);
        return 0;
    }
    if (buffer.size() == 0)
        return 0;
    return win32::write_raw(*impl_, buffer.data(), buffer.size(), ec);
}

std::size_t LocalStream::write_some(std::span<const ConstBuffer> buffers, std::error_code& ec) noexcept {
    for (const ConstBuffer& b : buffers)
        if (b.size() > 0)
            return write_some(b, ec);
    detail::clear(ec);
    if (!is_open())
        ec = win32::not_open();
    return 0;
}

void LocalStream::shutdown(Shutdown how, std::error_code& ec) noexcept {
    detail::clear(ec);
    if (!is_open()) {
        ec = win32::not_open();
        return;
    }
    if (how != Shutdown::write)
        impl_->read_shut = true;
    if (how == Shutdown::read || impl_->write_shut)
        return;
    // A pipe has no half-close; an end-of-stream frame is one. Without
    // framing the peer could not tell it from data.
    if (!impl_->handle_passing) {
        ec = std::make_error_code(std::errc::not_supported);
        return;
    }
    if (!win32::flush_prefix(*impl_, ec))
        return;
    if (impl_->out.payload_owed > 0) { // a timed-out write left its frame unfinished
        ec = std::make_error_code(std::errc::operation_in_progress);
        return;
    }
    win32::frame::Header end;
    end.kind = win32::frame::Kind::end_of_stream;
    win32::start_frame(*impl_, end, nullptr);
    if (win32::flush_prefix(*impl_, ec))
        impl_->write_shut = true;
}

void LocalStream::set_read_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    win32::set_timeout(impl_.get(), &Impl::read_timeout, timeout, ec);
}

void LocalStream::set_write_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    win32::set_timeout(impl_.get(), &Impl::write_timeout, timeout, ec);
}

void LocalStream::set_nonblocking(bool nonblocking, std::error_code& ec) noexcept {
    win32::set_nonblocking(impl_.get(), nonblocking, ec);
}

std::size_t LocalStream::max_handles_per_receive() const noexcept {
    return impl_ ? impl_->max_handles : max_handles_per_message;
}

void LocalStream::set_max_handles_per_receive(std::size_t limit, std::error_code& ec) noexcept {
    win32::set_handle_limit(impl_.get(), limit, ec);
}

native_handle_type LocalStream::native_handle() const noexcept {
    return impl_ ? impl_->pipe.get() : invalid_native_handle;
}

OwnedHandle LocalStream::release() noexcept { return win32::release_pipe(impl_); }

} // namespace localsock
