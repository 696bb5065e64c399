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

void gather(std::span<const ConstBuffer> parts, std::byte* out) noexcept {
    for (const ConstBuffer& part : parts) {
        if (part.size() > 0)
            std::memcpy(out, part.data(), part.size());
        out += part.size();
    }
}

// Header, handle values and the gathered payload, in the send buffer.
bool build_frame(LocalSeqpacket::Impl& s, std::span<const ConstBuffer> parts, std::size_t payload,
                 std::span<const BorrowedHandle> handles, wire::Kind kind, std::error_code& ec) noexcept {
    std::byte* out = s.send_buffer.data();
    wire::Header header;
    header.kind = kind;
    header.handle_count = static_cast<std::uint16_t>(handles.size());
    header.payload_length = static_cast<std::uint32_t>(payload);
    if (!handles.empty() && !copy_for_peer(s, handles, out + wire::header_size, ec))
        return false;
    header.table = handles.empty() ? wire::Table::none : send_table(s);
    wire::encode(header, out);
    gather(parts, out + header.prefix_size());
    return true;
}

// Copies of handles that never reached the peer are closed where they are.
void forget_values(LocalSeqpacket::Impl& s, std::size_t count) noexcept {
    if (count > 0)
        withdraw_copies(s, send_table(s), s.send_buffer.data() + wire::header_size, count);
}

} // namespace

void send_message(LocalSeqpacket::Impl& s, std::span<const ConstBuffer> parts, std::size_t payload,
                  std::span<const BorrowedHandle> handles, wire::Kind kind, std::error_code& ec) noexcept {
    if (!finish_pending_write(s, ec))
        return;
    if (payload > wire::max_payload) {
        ec = std::make_error_code(std::errc::message_size);
        return;
    }
    const std::size_t prefix = s.handle_passing ? wire::header_size + wire::value_size * handles.size() : 0;
    const auto size = static_cast<DWORD>(prefix + payload);

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

    if (s.nonblocking) {
        if (!start_pending_write(s, data, size, ec)) {
            forget_values(s, handles.size());
            return;
        }
        s.in_flight_values = s.send_buffer.data() + wire::header_size;
        s.in_flight_handles = handles.size();
        s.in_flight_table = send_table(s);
        return;
    }
    const HANDLE pipe = s.pipe.get();
    const IoResult r = s.write_io.run(pipe, s.write_timeout, [&](OVERLAPPED* o) {
        return ::WriteFile(pipe, data, size, nullptr, o);
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
    win32::send_message(s, parts, payload, handles, wire::Kind::data, ec);
}

} // namespace localsock
