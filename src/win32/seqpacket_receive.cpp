// LocalSeqpacket::receive / next_message_size on Windows: one pipe message
// per receive, read in message mode. A message longer than the caller's
// buffers fills them, the rest is read out and dropped (ERROR_MORE_DATA tells
// there is more), and the result reports the message's real size.
#include "duplication.hpp"
#include "seqpacket_impl.hpp"
#include "../operation_error.hpp"

#include <localsock/error.hpp>

#include <algorithm>
#include <array>
#include <cstring>

namespace localsock {
namespace win32 {
namespace {

// One ReadFile reads a small framed message whole: prefix and payload.
constexpr std::size_t receive_buffer_size = 65536;
static_assert(receive_buffer_size >= wire::max_prefix_size, "a partial first read must hold the whole prefix");

std::error_code corrupt(LocalSeqpacket::Impl& s) noexcept {
    s.corrupt = true;
    return errc::protocol_error;
}

// Where a message's payload goes: the caller's buffers, in order.
class PartCursor {
public:
    explicit PartCursor(std::span<const MutableBuffer> parts) noexcept : parts_(parts) { skip_full(); }

    // The room left in the current buffer (empty once all are full).
    MutableBuffer room() const noexcept {
        if (index_ == parts_.size())
            return {};
        const MutableBuffer& part = parts_[index_];
        return {static_cast<std::byte*>(part.data()) + offset_, part.size() - offset_};
    }
    void advance(std::size_t n) noexcept {
        offset_ += n;
        skip_full();
    }
    std::size_t copy(const std::byte* data, std::size_t size) noexcept {
        std::size_t copied = 0;
        for (MutableBuffer space = room(); copied < size && space.size() > 0; space = room()) {
            const std::size_t n = std::min(space.size(), size - copied);
            std::memcpy(space.data(), data + copied, n);
            copied += n;
            advance(n);
        }
        return copied;
    }

private:
    void skip_full() noexcept {
        while (index_ < parts_.size() && offset_ == parts_[index_].size()) {
            ++index_;
            offset_ = 0;
        }
    }

    std::span<const MutableBuffer> parts_;
    std::size_t index_ = 0;
    std::size_t offset_ = 0;
};

enum class Chunk { complete, more, ended, failed };

// One ReadFile: a whole message, or (ERROR_MORE_DATA) its next `size` bytes.
// A message read either completes or waits; a timeout transfers nothing.
Chunk read_chunk(LocalSeqpacket::Impl& s, void* data, std::size_t size, DWORD timeout, std::size_t& got,
                 std::error_code& ec) noexcept {
    const HANDLE pipe = s.pipe.get();
    const auto want = static_cast<DWORD>(std::min<std::size_t>(size, wire::max_payload));
    const IoResult r = s.read_io.run(pipe, timeout, [&](OVERLAPPED* o) { return ::ReadFile(pipe, data, want, nullptr, o); });
    got = r.bytes;
    if (r.error == ERROR_MORE_DATA)
        return Chunk::more;
    if (r.error != 0) {
        if (peer_gone(r.error))
            return Chunk::ended;
        ec = make_error(r.error);
        return Chunk::failed;
    }
    if (r.timed_out) {
        ec = std::make_error_code(std::errc::timed_out);
        return Chunk::failed;
    }
    return Chunk::complete;
}

// Non-blocking mode: true when a message is queued; false with would_block
// when none is, or without an error when the peer has gone.
bool message_queued(LocalSeqpacket::Impl& s, std::error_code& ec) noexcept {
    if (queued_bytes(s, ec) > 0)
        return true;
    if (!ec)
        s.ended = true;
    return false;
}

// Checks a framed message's prefix (in its first `got` bytes, whole if the
// message is longer than that) before anything is delivered or owned.
bool check_prefix(LocalSeqpacket::Impl& s, const std::byte* first, std::size_t got, bool more,
                  wire::Header& header, std::error_code& ec) noexcept {
    if (!wire::decode_message_start(first, got, more, header)) {
        ec = corrupt(s);
        return false;
    }
    return true;
}

// The handles of a delivered message: to the caller, or closed where they
// are as control truncation (more than the limit, a receive that accepts
// none, or values that could not be taken). Pushed by a peer that may not
// push: permission_denied, and the values are left alone (duplication.hpp).
void deliver_handles(LocalSeqpacket::Impl& s, const wire::Header& header, const std::byte* values,
                     std::vector<OwnedHandle>* handles, ReceiveResult& result, std::error_code& ec) noexcept {
    if (header.table == wire::Table::receiver && !peer_may_push(s)) {
        ec = std::make_error_code(std::errc::permission_denied);
        return;
    }
    const std::size_t count = header.handle_count;
    bool keep = handles != nullptr && count <= s.max_handles;
    if (keep) {
        try {
            handles->reserve(handles->size() + count);
        } catch (const std::exception&) {
            ec = std::make_error_code(std::errc::not_enough_memory);
            keep = false;
        }
    }
    if (!keep) {
        discard_values(s, header, values);
        if (!ec) {
            result.control_truncated = true;
            ec = errc::handles_truncated;
        }
        return;
    }
    std::array<OwnedHandle, max_handles_per_message> taken;
    ec = take_values(s, header, values, taken.data());
    if (ec) {
        result.control_truncated = ec == errc::handles_truncated;
        return;
    }
    for (std::size_t i = 0; i < count; ++i)
        handles->push_back(std::move(taken[i])); // reserved: cannot throw
}

} // namespace

ReceiveResult receive_message(LocalSeqpacket::Impl& s, std::span<const MutableBuffer> parts,
                              std::vector<OwnedHandle>* handles, std::error_code& ec) noexcept {
    ReceiveResult result;
    if (s.corrupt) {
        ec = errc::protocol_error;
        return result;
    }
    if (s.read_shut || s.ended)
        return result;

    // The first read goes straight into the caller's buffer when there is one
    // and nothing to parse; otherwise through the receive buffer (a copy, but
    // one ReadFile for prefix and payload, or for scattered buffers).
    const MutableBuffer* direct = s.handle_passing ? nullptr : single_part(parts);
    if (direct == nullptr && !s.receive_buffer.reserve(receive_buffer_size)) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return result;
    }
    std::byte* const first = direct != nullptr ? static_cast<std::byte*>(direct->data()) : s.receive_buffer.data();
    const std::size_t first_size = direct != nullptr ? direct->size() : receive_buffer_size;
    std::size_t got = 0;
    Chunk chunk;
    if (s.nonblocking && !message_queued(s, ec))
        return result;
    // Non-blocking: a message is there, so the read completes at once.
    chunk = read_chunk(s, first, first_size, s.nonblocking ? INFINITE : s.read_timeout, got, ec);
    if (chunk == Chunk::failed)
        return result;
    if (chunk == Chunk::ended) {
        s.ended = true;
        return result;
    }
    // An empty message (only a plain peer sends one; a framed one is malformed
    // below) must not read as the peer closing: it is consumed and reported,
    // as on POSIX.
    if (got == 0 && chunk != Chunk::more && !s.handle_passing) {
        ec = errc::empty_message;
        return result;
    }

    wire::Header header;
    std::size_t prefix_size = 0;
    // The values are copied out: the receive buffer may be reused below.
    std::byte values[wire::value_size * max_handles_per_message];
    if (s.handle_passing) {
        if (!check_prefix(s, first, got, chunk == Chunk::more, header, ec))
            return result;
        if (header.kind == wire::Kind::end_of_stream) { // the peer shut down writing
            s.ended = true;
            return result;
        }
        prefix_size = header.prefix_size();
        std::memcpy(values, first + wire::header_size, header.handle_count * wire::value_size);
    }

    PartCursor cursor(parts);
    std::size_t total = got;
    std::size_t delivered = 0;
    if (direct != nullptr) {
        cursor.advance(got);
        delivered = got;
    } else {
        delivered = cursor.copy(first + prefix_size, got - prefix_size);
    }
    // The rest of a long message: into the caller's buffers while they have
    // room, then read out and dropped. It is in the pipe or on its way (the
    // writer's WriteFile is still running), so the read timeout applies.
    while (chunk == Chunk::more) {
        MutableBuffer room = cursor.room();
        const bool keep = room.size() > 0;
        if (!keep) {
            if (!s.receive_buffer.reserve(receive_buffer_size)) {
                ec = corrupt(s); // the rest of the message cannot be skipped
                return result;
            }
            room = MutableBuffer(s.receive_buffer.data(), receive_buffer_size);
        }
        chunk = read_chunk(s, room.data(), room.size(), s.read_timeout, got, ec);
        total += got;
        if (keep) {
            cursor.advance(got);
            delivered += got;
        }
        if (chunk == Chunk::failed) { // cut in the middle: where the next message starts is lost
            s.corrupt = true;
            return result;
        }
        if (chunk == Chunk::ended) // the writer died mid-message: what came is all there is
            s.ended = true;
    }

    const std::size_t payload = total - prefix_size;
    if (s.handle_passing && payload != header.payload_length) {
        ec = corrupt(s); // the values are not closed: they may name our own handles
        return result;
    }
    result.bytes = delivered;
    result.message_size = payload;
    result.data_truncated = delivered < payload;
    if (s.handle_passing && header.handle_count > 0)
        deliver_handles(s, header, values, handles, result, ec);
    return result;
}

} // namespace win32

ReceiveResult LocalSeqpacket::receive(MutableBuffer buffer, std::error_code& ec) noexcept {
    detail::clear(ec);
    if (!is_open()) {
        ec = win32::not_open();
        return {};
    }
    return win32::receive_message(*impl_, std::span<const MutableBuffer>(&buffer, 1), nullptr, ec);
}

ReceiveResult LocalSeqpacket::receive(std::span<const MutableBuffer> parts, std::vector<OwnedHandle>& handles,
                                      std::error_code& ec) noexcept {
    detail::clear(ec);
    if (!is_open()) {
        ec = win32::not_open();
        return {};
    }
    return win32::receive_message(*impl_, parts, &handles, ec);
}

std::size_t LocalSeqpacket::next_message_size(std::error_code& ec) noexcept {
    detail::clear(ec);
    if (!is_open()) {
        ec = win32::not_open();
        return 0;
    }
    Impl& s = *impl_;
    if (s.corrupt) {
        ec = errc::protocol_error;
        return 0;
    }
    if (s.read_shut || s.ended)
        return 0;
    const HANDLE pipe = s.pipe.get();
    for (;;) {
        // A peek in message mode shows the next message: its first bytes,
        // and how many more it has.
        std::byte head[wire::header_size];
        DWORD peeked = 0, available = 0, left = 0;
        if (!::PeekNamedPipe(pipe, head, s.handle_passing ? sizeof head : 0, &peeked, &available, &left)) {
            const DWORD error = ::GetLastError();
            if (!win32::peer_gone(error))
                ec = win32::make_error(error);
            return 0;
        }
        const std::size_t size = std::size_t{peeked} + left;
        if (available > 0 && s.handle_passing) {
            wire::Header header;
            if (peeked < sizeof head || !wire::decode(head, header) ||
                size != header.prefix_size() + header.payload_length) {
                ec = win32::corrupt(s);
                return 0;
            }
            return header.payload_length; // 0 for an end-of-stream frame: the peer shut down writing
        }
        if (available > 0 && size > 0)
            return size;
        if (available > 0) { // a plain peer's empty message at the head: receive() takes it
            ec = errc::empty_message;
            return 0;
        }
        if (s.nonblocking) {
            ec = std::make_error_code(std::errc::operation_would_block);
            return 0;
        }
        // Wait for a message without taking it: a zero-byte read completes
        // with ERROR_MORE_DATA when one arrives, and leaves it queued.
        const win32::IoResult r =
            s.read_io.run(pipe, s.read_timeout, [&](OVERLAPPED* o) { return ::ReadFile(pipe, head, 0, nullptr, o); });
        if (r.error == ERROR_MORE_DATA)
            continue; // a message arrived, still queued: peek at it
        if (r.error == 0 && !r.timed_out) { // an empty message arrived, and the zero-byte read took it
            ec = errc::empty_message;
            return 0;
        }
        if (win32::peer_gone(r.error))
            return 0;
        ec = r.error != 0 ? win32::make_error(r.error) : std::make_error_code(std::errc::timed_out);
        return 0;
    }
}

} // namespace localsock
