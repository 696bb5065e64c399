// LocalSeqpacket::send on Windows: each message is one WriteFile of one pipe
// message — with handle_passing, a frame (header, handle values duplicated
// into the peer, payload) gathered in the connection's send buffer; without,
// the caller's bytes as they are.
#include "duplication.hpp"
#include "seqpacket_impl.hpp"
#include "../operation_error.hpp"

#include <localsock/error.hpp>

#include <cstring>

namespace localsock {
namespace win32 {
namespace {

// A send buffer grown past this by a big message is freed after it.
constexpr std::size_t kept_send_buffer = std::size_t{1} << 20;

// Waits for the write a non-blocking send left in flight: at once in
// non-blocking mode (else would_block), within the write timeout otherwise.
bool finish_pending_write(LocalSeqpacket::Impl& s, std::error_code& ec) noexcept {
    if (!s.write_pending)
        return true;
    if (!s.write_io.wait(s.nonblocking ? 0 : s.write_timeout)) {
        ec = std::make_error_code(s.nonblocking ? std::errc::operation_would_block : std::errc::timed_out);
        return false;
    }
    s.write_pending = false;
    s.pending_handles = 0;
    DWORD written = 0;
    if (!::GetOverlappedResult(s.pipe.get(), s.write_io.get(), &written, FALSE)) {
        ec = make_error(::GetLastError()); // that message failed: say so now
        return false;
    }
    return true;
}

// The one non-empty buffer of `parts`, or null if there are several (or none).
const ConstBuffer* single_part(std::span<const ConstBuffer> parts) noexcept {
    const ConstBuffer* found = nullptr;
    for (const ConstBuffer& part : parts) {
        if (part.size() == 0)
            continue;
        if (found != nullptr)
            return nullptr;
        found = &part;
    }
    return found;
}

void gather(std::span<const ConstBuffer> parts, std::byte* out) noexcept {
    for (const ConstBuffer& part : parts) {
        if (part.size() > 0)
            std::memcpy(out, part.data(), part.size());
        out += part.size();
    }
}

// Header, handle values and the gathered payload, in the send buffer.
bool build_frame(LocalSeqpacket::Impl& s, std::span<const ConstBuffer> parts, std::size_t payload,
                 std::span<const BorrowedHandle> handles, frame::Kind kind, std::error_code& ec) noexcept {
    std::byte* out = s.send_buffer.data();
    frame::Header header;
    header.kind = kind;
    header.handle_count = static_cast<std::uint16_t>(handles.size());
    header.payload_length = static_cast<std::uint32_t>(payload);
    frame::encode(header, out);
    if (!handles.empty()) {
        if (!open_peer_for_duplication(s.pipe.get(), s.is_server, s.peer_process, ec))
            return false;
        std::uint64_t values[max_handles_per_message];
        if (!duplicate_into(s.peer_process.get(), handles, values, ec))
            return false;
        for (std::size_t i = 0; i < handles.size(); ++i)
            frame::encode_value(values[i], out + frame::header_size + i * frame::value_size);
    }
    gather(parts, out + header.prefix_size());
    return true;
}

// Copies of handles that never reached the peer are closed there.
void forget_values(LocalSeqpacket::Impl& s, std::size_t count) noexcept {
    if (count > 0 && s.peer_process)
        close_remote_encoded(s.peer_process.get(), s.send_buffer.data() + frame::header_size, count);
}

} // namespace

void send_message(LocalSeqpacket::Impl& s, std::span<const ConstBuffer> parts,
                  std::span<const BorrowedHandle> handles, frame::Kind kind, std::error_code& ec) noexcept {
    if (!finish_pending_write(s, ec))
        return;
    std::size_t payload = 0;
    for (const ConstBuffer& part : parts)
        payload += part.size();
    if (payload > frame::max_payload) {
        ec = std::make_error_code(std::errc::message_size);
        return;
    }
    const std::size_t prefix = s.handle_passing ? frame::header_size + frame::value_size * handles.size() : 0;
    const std::size_t size = prefix + payload;

    // A plain blocking send of one buffer writes it as it is; anything else
    // goes through the send buffer (a pipe message is one WriteFile, and a
    // write left in flight needs bytes that outlive the call).
    const ConstBuffer* single = s.handle_passing || s.nonblocking ? nullptr : single_part(parts);
    const void* data = single != nullptr ? single->data() : nullptr;
    if (single == nullptr) {
        if (!s.send_buffer.reserve(size)) {
            ec = std::make_error_code(std::errc::not_enough_memory);
            return;
        }
        if (s.handle_passing) {
            if (!build_frame(s, parts, payload, handles, kind, ec))
                return;
        } else {
            gather(parts, s.send_buffer.data());
        }
        data = s.send_buffer.data();
    }

    const HANDLE pipe = s.pipe.get();
    if (s.nonblocking) {
        // In flight until the next send collects it: a pipe write may
        // complete asynchronously even when there is room, and cannot be polled.
        if (!s.write_io.prepare()) {
            ec = last_error();
            forget_values(s, handles.size());
            return;
        }
        if (!::WriteFile(pipe, data, static_cast<DWORD>(size), nullptr, s.write_io.get()) &&
            ::GetLastError() != ERROR_IO_PENDING) {
            ec = last_error();
            forget_values(s, handles.size());
            return;
        }
        s.write_pending = true;
        s.pending_handles = handles.size();
        return;
    }
    const IoResult r = s.write_io.run(pipe, s.write_timeout, [&](OVERLAPPED* o) {
        return ::WriteFile(pipe, data, static_cast<DWORD>(size), nullptr, o);
    });
    if (r.error != 0 || r.timed_out) {
        ec = r.error != 0 ? make_error(r.error) : std::make_error_code(std::errc::timed_out);
        if (r.bytes == 0) // the peer never sees this message
            forget_values(s, handles.size());
    }
    if (s.send_buffer.capacity() > kept_send_buffer)
        s.send_buffer.release();
}

} // namespace win32

void LocalSeqpacket::send(std::span<const ConstBuffer> parts, std::span<const BorrowedHandle> handles,
                          std::error_code& ec) noexcept {
    detail::clear(ec);
    if (!is_open()) {
        ec = win32::not_open();
        return;
    }
    Impl& s = *impl_;
    if (s.write_shut) {
        ec = std::make_error_code(std::errc::broken_pipe);
        return;
    }
    std::size_t payload = 0;
    for (const ConstBuffer& part : parts)
        payload += part.size();
    if (payload == 0) { // a receive of 0 bytes must only ever mean that the peer closed
        ec = errc::empty_message;
        return;
    }
    if (!handles.empty()) {
        if (!s.handle_passing) {
            ec = errc::handle_passing_disabled;
            return;
        }
        if (handles.size() > max_handles_per_message) {
            ec = errc::too_many_handles;
            return;
        }
        if (!win32::sendable(handles, ec))
            return;
    }
    win32::send_message(s, parts, handles, win32::frame::Kind::data, ec);
}

} // namespace localsock
