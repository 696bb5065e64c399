// Private: the two halves of handle passing on Windows, shared by streams and
// seqpackets (docs/wire-format.md) — the sender duplicates its handles into
// the peer's process and sends their values there; the receiver checks the
// values it got and owns them.
#pragma once

#include "frame.hpp"
#include "win32.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace localsock::win32 {

// The process id of the other end of a pipe.
bool peer_process_id(HANDLE pipe, bool is_server, ULONG& pid, std::error_code& ec) noexcept;

// Opens the peer's process for DuplicateHandle into it, once: `peer` keeps
// it (the peer of a pipe does not change).
bool open_peer_for_duplication(HANDLE pipe, bool is_server, OwnedHandle& peer, std::error_code& ec) noexcept;

// Lent or owned, a handle to send must be a real one: INVALID_HANDLE_VALUE
// doubles as the current-process pseudo-handle, and NULL is none.
template <class Handle>
bool sendable(std::span<const Handle> handles, std::error_code& ec) noexcept {
    for (const Handle& handle : handles) {
        if (!handle.valid() || handle.get() == nullptr) {
            ec = std::make_error_code(std::errc::bad_file_descriptor);
            return false;
        }
    }
    return true;
}

// Duplicates `handle` into `peer` (same access, not inheritable) and writes
// the copy's value there, encoded (frame::value_size bytes), at `encoded`.
bool duplicate_one(HANDLE peer, HANDLE handle, std::byte* encoded, std::error_code& ec) noexcept;
// Closes copies made in the peer, where it will never learn of them: `count`
// encoded values (a failed duplication's, or a frame's that never went out).
void close_remote(HANDLE peer, const std::byte* encoded, std::size_t count) noexcept;

// All of `handles` into `peer`, their values encoded straight into a frame's
// value list, or none: a failure closes the copies already made.
template <class Handle>
bool duplicate_into(HANDLE peer, std::span<const Handle> handles, std::byte* encoded, std::error_code& ec) noexcept {
    for (std::size_t i = 0; i < handles.size(); ++i) {
        if (!duplicate_one(peer, handles[i].get(), encoded + i * frame::value_size, ec)) {
            close_remote(peer, encoded, i);
            return false;
        }
    }
    return true;
}

// Receiving: `count` encoded values. Values that cannot be handles a peer
// duplicated for us make the whole list malformed; then none of them may be
// closed, since they could name this process's own handles.
bool plausible_values(const std::byte* encoded, std::size_t count) noexcept;
// Owns plausible values: out[0 .. count) (the previous handles there are closed).
void own_values(const std::byte* encoded, std::size_t count, OwnedHandle* out) noexcept;

} // namespace localsock::win32
