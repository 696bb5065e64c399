// Private: the two halves of handle passing on Windows, shared by streams and
// seqpackets (docs/wire-format.md) — the sender duplicates its handles into
// the peer's process and sends their values there; the receiver checks the
// values it got and owns them.
#pragma once

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

// Duplicates `handle` into `peer` (same access, not inheritable); `value` is
// the copy's value there.
bool duplicate_one(HANDLE peer, HANDLE handle, std::uint64_t& value, std::error_code& ec) noexcept;
// Closes copies made in the peer, where it will never learn of them.
void close_remote(HANDLE peer, const std::uint64_t* values, std::size_t count) noexcept;

// All of `handles` into `peer`, or none: a failure closes the copies
// already made.
template <class Handle>
bool duplicate_into(HANDLE peer, std::span<const Handle> handles, std::uint64_t* values,
                    std::error_code& ec) noexcept {
    for (std::size_t i = 0; i < handles.size(); ++i) {
        if (!duplicate_one(peer, handles[i].get(), values[i], ec)) {
            close_remote(peer, values, i);
            return false;
        }
    }
    return true;
}

// Receiving: `count` encoded values (frame::value_size bytes each). Values
// that cannot be handles a peer duplicated for us make the whole list
// malformed; then none of them may be closed, since they could name this
// process's own handles.
bool plausible_values(const std::byte* encoded, std::size_t count) noexcept;
// Owns plausible values: out[0 .. count) (the previous handles there are closed).
void own_values(const std::byte* encoded, std::size_t count, OwnedHandle* out) noexcept;
// The same values, closed in the peer (a sender's clean-up of a frame that
// never went out, read back from the encoded frame).
void close_remote_encoded(HANDLE peer, const std::byte* encoded, std::size_t count) noexcept;

} // namespace localsock::win32
