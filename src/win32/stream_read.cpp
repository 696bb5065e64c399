// LocalStream's reads on Windows: one ReadFile under the stream's timeout and
// blocking mode for a plain pipe; for a framed one, the pure decoder
// (src/wire/stream_decoder.hpp) over the read-ahead, refilled by that same
// ReadFile, with the handles its frames carry taken under the trust rules
// (duplication.hpp) and delivered with their frame's first payload bytes.
#include "duplication.hpp"
#include "stream_impl.hpp"
#include "../operation_error.hpp"

#include <localsock/error.hpp>

#include <algorithm>
#include <utility>

namespace localsock {
namespace win32 {
namespace {

// One ReadFile into `data`: 0 at end of stream (no error), or with `ec` set.
std::size_t read_pipe(LocalStream::Impl& s, void* data, std::size_t size, std::error_code& ec) noexcept {
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

void close_pending(Inbound& in) noexcept {
    for (std::size_t i = 0; i < in.pending_count; ++i)
        in.pending[i].reset();
    in.pending_count = 0;
}

// The values of a frame the decoder checked become owners at once, where the
// peer had the power to put them there (duplication.hpp), and wait for the
// frame's first payload bytes.
void take_handles(LocalStream::Impl& s) noexcept {
    Inbound& in = s.in;
    const wire::Header& header = in.decoder.header();
    const std::byte* values = in.decoder.values();
    if (header.handle_count > s.max_handles) {
        discard_values(s, header, values);
        in.dropped = header.table == wire::Table::receiver && !peer_may_push(s)
                         ? std::make_error_code(std::errc::permission_denied)
                         : make_error_code(errc::handles_truncated);
        return;
    }
    in.dropped = take_values(s, header, values, in.pending.data());
    if (!in.dropped)
        in.pending_count = header.handle_count;
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

// What a framed read does with the bytes already read, without a system
// call of its own beyond taking handles: the decoder's next payload, with
// the handles of its frame (Next::payload), or the end, or a malformed frame
// (protocol_error), or Next::more_bytes.
wire::StreamDecoder::Next read_step(LocalStream::Impl& s, MutableBuffer buffer, std::vector<OwnedHandle>* handles,
                                    std::size_t& n, std::error_code& ec) noexcept {
    using Next = wire::StreamDecoder::Next;
    Inbound& in = s.in;
    const std::span<std::byte> out(static_cast<std::byte*>(buffer.data()), buffer.size());
    for (;;) {
        const wire::StreamDecoder::Step step = in.decoder.step(out);
        switch (step.next) {
        case Next::handles:
            take_handles(s);
            continue;
        case Next::payload:
            n = step.bytes;
            deliver_pending(in, handles, ec);
            return Next::payload;
        case Next::malformed:
            ec = errc::protocol_error;
            return Next::malformed;
        case Next::end_of_stream:
            close_pending(in); // the peer died between a frame's values and its payload
            return Next::end_of_stream;
        case Next::more_bytes:
            return Next::more_bytes;
        }
    }
}

// The sync refill: one ReadFile (blocking, timed or non-blocking) into where
// the decoder wants the bytes. False with `ec` set if nothing came.
bool refill(LocalStream::Impl& s, MutableBuffer buffer, std::error_code& ec) noexcept {
    wire::StreamDecoder& decoder = s.in.decoder;
    const std::span<std::byte> to = decoder.space({static_cast<std::byte*>(buffer.data()), buffer.size()});
    const std::size_t n = read_pipe(s, to.data(), to.size(), ec);
    if (ec)
        return false;
    if (n == 0)
        decoder.input_ended();
    else
        decoder.commit(n);
    return true;
}

std::size_t read_framed(LocalStream::Impl& s, MutableBuffer buffer, std::vector<OwnedHandle>* handles,
                        std::error_code& ec) noexcept {
    using Next = wire::StreamDecoder::Next;
    for (;;) {
        std::size_t n = 0;
        switch (read_step(s, buffer, handles, n, ec)) {
        case Next::payload:
            return n;
        case Next::more_bytes:
            if (!refill(s, buffer, ec))
                return 0;
            continue;
        default: // end of stream, malformed
            return 0;
        }
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
        return read_pipe(*s, buffer.data(), buffer.size(), ec);
    return read_framed(*s, buffer, handles, ec);
}

} // namespace win32
} // namespace localsock
