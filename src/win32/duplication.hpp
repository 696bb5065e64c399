// Private: the two halves of handle passing on Windows, shared by streams and
// seqpackets (docs/wire-format.md, "Trust"). The sender makes a copy of each
// handle — in its own process (pull, the default) or in the peer's (push) —
// and sends the copies' values, saying in which table they are. The receiver
// takes pulled values out of the sender's process, so a peer can give only
// what it holds itself; pushed values name handles of the receiver's own
// table, and are believed only once the peer has been found to hold
// PROCESS_DUP_HANDLE on the receiver (push_trust.cpp).
#pragma once

#include "pipe_core.hpp"
#include "win32.hpp"
#include "../wire/frame.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace localsock::win32 {

// The process id of the other end of a pipe.
bool peer_process_id(HANDLE pipe, bool is_server, ULONG& pid, std::error_code& ec) noexcept;

// Opens the peer's process for DuplicateHandle into `peer_process` (the
// connection's sending or receiving slot), once: the peer of a pipe does not
// change. Refused if that process has already ended
// or the pipe is no longer connected, so that a reused process id is not
// taken for the peer.
bool open_peer_for_duplication(PipeCore& core, OwnedHandle& peer_process, std::error_code& ec) noexcept;

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

// --- sending -------------------------------------------------------------------
// The table this connection's frames put their values in, decided once
// (core.send_table): push can fail only when the peer cannot be opened.
wire::Table decide_send_table(PipeCore& core, std::error_code& ec) noexcept;
inline wire::Table send_table(const PipeCore& core) noexcept { return core.send_table; }

// Copies `handle` (same access, not inheritable) into `process` and writes
// the copy's value there, encoded (wire::value_size bytes), at `encoded`.
bool copy_one(HANDLE process, HANDLE handle, std::byte* encoded, std::error_code& ec) noexcept;
// Closes copies the peer will never learn of (a failed copy's siblings, a
// frame that never went out): `count` encoded values in `table`.
void withdraw_copies(PipeCore& core, wire::Table table, const std::byte* encoded, std::size_t count) noexcept;

// All of `handles` copied for the peer, their values encoded straight into a
// frame's value list, or none: a failure closes the copies already made.
template <class Handle>
bool copy_for_peer(PipeCore& core, std::span<const Handle> handles, std::byte* encoded,
                   std::error_code& ec) noexcept {
    const wire::Table table = decide_send_table(core, ec);
    if (table == wire::Table::none)
        return false;
    const HANDLE target = table == wire::Table::receiver ? core.send_peer_process.get() : ::GetCurrentProcess();
    for (std::size_t i = 0; i < handles.size(); ++i) {
        if (!copy_one(target, handles[i].get(), encoded + i * wire::value_size, ec)) {
            withdraw_copies(core, table, encoded, i);
            return false;
        }
    }
    return true;
}

// --- receiving -------------------------------------------------------------------
// The values of a well-formed frame (wire::decode_prefix checked them) become
// handles of this process: out[0 .. count). Pulled values are taken out of
// the sender; pushed ones are owned as they are, if the peer may push. On
// failure nothing is in `out` and the error says why: handles_truncated
// (a value could not be taken; every one is closed where it was) or
// permission_denied (an unverified push: the values are left alone).
std::error_code take_values(PipeCore& core, const wire::Header& header, const std::byte* encoded,
                            OwnedHandle* out) noexcept;
// The values of a well-formed frame nobody will take: closed where they
// are — in the sender (pulled), or here (pushed by a verified peer) — and
// left alone when the peer may not push. Never closes a raw value here
// otherwise.
void discard_values(PipeCore& core, const wire::Header& header, const std::byte* encoded) noexcept;

// Whether the peer holds PROCESS_DUP_HANDLE on this process, evaluated once
// per connection and never assumed (push_trust.cpp).
bool peer_may_push(PipeCore& core) noexcept;

} // namespace localsock::win32
