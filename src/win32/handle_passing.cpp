// LocalStream::send / receive on Windows: handles are copied for the peer
// (duplication.hpp) and their values travel in the frame's prefix.
#include "duplication.hpp"
#include "stream_impl.hpp"
#include "../operation_error.hpp"

#include <localsock/error.hpp>

namespace localsock {

// Lent or owned, a handle is one HANDLE: one body serves both spans
// without copying them into a common type first.
template <class Handle>
std::size_t LocalStream::send_handles(ConstBuffer bytes, std::span<const Handle> handles,
                                      std::error_code& ec) noexcept {
    detail::clear(ec);
    if (handles.empty())
        return write_all(bytes, ec);
    if (!is_open()) {
        ec = win32::not_open();
        return 0;
    }
    Impl& s = *impl_;
    if (!s.handle_passing) {
        ec = errc::handle_passing_disabled;
        return 0;
    }
    if (handles.size() > max_handles_per_message) {
        ec = errc::too_many_handles;
        return 0;
    }
    if (!win32::sendable(handles, ec))
        return 0;
    // A write that timed out part way owes its frame some bytes: the first
    // bytes of this send complete it, and the handles ride on the next one.
    std::size_t done = 0;
    while (done < bytes.size() && (s.out.payload_owed > 0 || s.out.sent < s.out.size)) {
        done += win32::write_framed(
            s, ConstBuffer(static_cast<const std::byte*>(bytes.data()) + done, bytes.size() - done), ec);
        if (ec)
            return done;
    }
    if (done == bytes.size()) {
        ec = errc::handles_need_data;
        return done;
    }
    if (s.write_shut) {
        ec = std::make_error_code(std::errc::broken_pipe);
        return done;
    }
    // A write still in flight first (non-blocking): no copies made for a frame that cannot start.
    if (!win32::finish_pending_write(s, ec))
        return done;

    // The copies' values go straight into the frame's prefix (the previous
    // frame is complete, so nothing there is still owed).
    std::byte* const values = s.out.prefix.data() + wire::header_size;
    if (!win32::copy_for_peer(s, handles, values, ec))
        return done;

    wire::Header header;
    header.table = win32::send_table(s);
    header.handle_count = static_cast<std::uint16_t>(handles.size());
    header.payload_length =
        static_cast<std::uint32_t>(std::min<std::size_t>(bytes.size() - done, wire::max_payload));
    win32::start_frame(s, header);
    const auto* rest = static_cast<const std::byte*>(bytes.data()) + done;
    done += win32::write_frame_start(s, rest, bytes.size() - done, ec);
    if (ec) {
        if (s.out.size == 0) // not a byte of the frame went out: the peer never sees these
            win32::withdraw_copies(s, header.table, values, handles.size());
        return done;
    }
    // The rest goes as payload of this frame and, beyond it, as plain frames:
    // the handles are never attached twice.
    rest = static_cast<const std::byte*>(bytes.data()) + done;
    return done + write_all(ConstBuffer(rest, bytes.size() - done), ec);
}

std::size_t LocalStream::send(ConstBuffer bytes, std::span<const BorrowedHandle> handles,
                              std::error_code& ec) noexcept {
    return send_handles(bytes, handles, ec);
}

std::size_t LocalStream::send(ConstBuffer bytes, std::span<const OwnedHandle> handles,
                              std::error_code& ec) noexcept {
    return send_handles(bytes, handles, ec);
}

std::size_t LocalStream::receive(MutableBuffer buffer, std::vector<OwnedHandle>& handles,
                                 std::error_code& ec) noexcept {
    return win32::read_stream(impl_.get(), buffer, &handles, ec);
}

} // namespace localsock
