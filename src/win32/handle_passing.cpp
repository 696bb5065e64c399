// LocalStream::send / receive on Windows: handles are duplicated into the
// peer process and their values travel in the frame header.
#include "stream_impl.hpp"
#include "../operation_error.hpp"

#include <localsock/error.hpp>

namespace localsock {
namespace {

// Opened on the first send of handles and kept: the peer does not change.
bool open_peer_process(LocalStream::Impl& s, std::error_code& ec) noexcept {
    if (s.peer_process)
        return true;
    ULONG pid = 0;
    const BOOL known = s.is_server ? ::GetNamedPipeClientProcessId(s.pipe.get(), &pid)
                                   : ::GetNamedPipeServerProcessId(s.pipe.get(), &pid);
    if (!known) {
        ec = win32::last_error();
        return false;
    }
    s.peer_process = win32::own(::OpenProcess(PROCESS_DUP_HANDLE, FALSE, pid));
    if (!s.peer_process) {
        ec = win32::last_error();
        return false;
    }
    return true;
}

// Closes copies already made in the peer, where it will never learn of them.
void close_remote(HANDLE peer, const std::uint64_t* values, std::size_t count) noexcept {
    for (std::size_t i = 0; i < count; ++i)
        ::DuplicateHandle(peer, reinterpret_cast<HANDLE>(static_cast<std::uintptr_t>(values[i])), nullptr, nullptr,
                          0, FALSE, DUPLICATE_CLOSE_SOURCE);
}

} // namespace

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
    for (const Handle& handle : handles) {
        // INVALID_HANDLE_VALUE doubles as the current-process pseudo handle.
        if (!handle.valid() || handle.get() == nullptr) {
            ec = std::make_error_code(std::errc::bad_file_descriptor);
            return 0;
        }
    }
    // A write that timed out part way owes its frame some bytes: the first
    // bytes of this send complete it, and the handles ride on the next one.
    std::size_t done = 0;
    if (s.out.payload_owed > 0 || s.out.sent < s.out.size) {
        while (done < bytes.size() && (s.out.payload_owed > 0 || s.out.sent < s.out.size)) {
            done += win32::write_framed(
                s, ConstBuffer(static_cast<const std::byte*>(bytes.data()) + done, bytes.size() - done), ec);
            if (ec)
                return done;
        }
    }
    if (done == bytes.size()) {
        ec = errc::handles_need_data;
        return done;
    }
    if (s.write_shut) {
        ec = std::make_error_code(std::errc::broken_pipe);
        return done;
    }
    if (!open_peer_process(s, ec))
        return done;

    std::uint64_t values[max_handles_per_message];
    const HANDLE self = ::GetCurrentProcess();
    for (std::size_t i = 0; i < handles.size(); ++i) {
        HANDLE remote = nullptr;
        if (!::DuplicateHandle(self, handles[i].get(), s.peer_process.get(), &remote, 0, FALSE,
                               DUPLICATE_SAME_ACCESS)) {
            ec = win32::last_error();
            close_remote(s.peer_process.get(), values, i);
            return done;
        }
        values[i] = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(remote));
    }

    win32::frame::Header header;
    header.handle_count = static_cast<std::uint16_t>(handles.size());
    header.payload_length =
        static_cast<std::uint32_t>(std::min<std::size_t>(bytes.size() - done, win32::frame::max_payload));
    win32::start_frame(s, header, values);
    const auto* rest = static_cast<const std::byte*>(bytes.data()) + done;
    done += win32::write_frame_start(s, rest, bytes.size() - done, ec);
    if (ec) {
        if (s.out.size == 0) // not a byte of the frame went out: the peer never sees these
            close_remote(s.peer_process.get(), values, handles.size());
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
    detail::clear(ec);
    if (!is_open()) {
        ec = win32::not_open();
        return 0;
    }
    if (buffer.size() == 0 || impl_->read_shut)
        return 0;
    if (!impl_->handle_passing) // a plain pipe: bytes only, no handle can come
        return win32::read_raw(*impl_, buffer.data(), buffer.size(), ec);
    return win32::read_framed(*impl_, buffer, &handles, ec);
}

} // namespace localsock
