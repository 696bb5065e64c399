// Private: what a LocalStream is on Windows — an overlapped named-pipe handle,
// plus, when it passes handles, the state of the frame protocol in each
// direction (docs/wire-format.md).
#pragma once

#include "frame.hpp"
#include "overlapped.hpp"
#include "win32.hpp"

#include <localsock/stream.hpp>

#include <array>
#include <memory>

namespace localsock {
namespace win32 {

// Reading side: where we are in the peer's current frame.
struct Inbound {
    std::array<std::byte, frame::max_prefix_size> prefix; // header, then handle values
    std::size_t have = 0;                                  // prefix bytes read so far
    bool header_known = false;
    frame::Header header;
    std::uint32_t payload_left = 0; // payload bytes of the current frame not yet read
    // Handles of the current frame, owned from the moment their values are
    // read; delivered with the frame's first payload bytes.
    std::array<OwnedHandle, max_handles_per_message> pending;
    std::size_t pending_count = 0;
    bool truncated = false; // the current frame brought more than the limit (closed)
    bool ended = false;     // end-of-stream frame seen, or the pipe closed
    bool corrupt = false;   // a malformed frame: nothing more can be trusted
};

// Writing side: a frame prefix not fully written yet, and payload bytes the
// current frame still announces (after a timed-out or partial write, the
// next bytes written complete it).
struct Outbound {
    std::array<std::byte, frame::max_prefix_size> prefix;
    std::size_t size = 0;
    std::size_t sent = 0;
    std::uint32_t payload_owed = 0;
};

} // namespace win32

struct LocalStream::Impl {
    OwnedHandle pipe;
    LocalSocketName name;
    std::size_t max_handles = max_handles_per_message;
    bool handle_passing = true; // framed
    bool is_server = false;     // which end: picks the peer's process id call
    bool nonblocking = false;
    bool read_shut = false;
    bool write_shut = false;
    DWORD read_timeout = INFINITE;
    DWORD write_timeout = INFINITE;
    win32::Overlapped read_io;
    win32::Overlapped write_io;
    // Non-blocking writes: the bytes are copied here and the write stays in
    // flight; the next write reports would_block until it has completed.
    std::unique_ptr<std::byte[]> write_buffer;
    bool write_pending = false;
    // Framed streams read ahead into this buffer (allocated with the first
    // small read), so that a small frame's prefix and payload come in one
    // ReadFile instead of two.
    std::unique_ptr<std::byte[]> read_ahead;
    std::size_t ahead_begin = 0;
    std::size_t ahead_end = 0;
    OwnedHandle peer_process; // PROCESS_DUP_HANDLE, opened at the first send of handles
    win32::Inbound in;
    win32::Outbound out;

    // A write still in flight is cancelled. Handles in frames nobody read
    // are in this process already: find and close them before the pipe goes.
    ~Impl();
    void cancel_pending_write() noexcept;
};

namespace win32 {

std::unique_ptr<LocalStream::Impl> make_stream(OwnedHandle pipe, const LocalSocketName& name, bool is_server,
                                               bool handle_passing, std::error_code& ec) noexcept;

// One ReadFile / WriteFile under the stream's timeout and blocking mode. A
// read returns 0 at end of stream.
std::size_t read_raw(LocalStream::Impl& s, void* data, std::size_t size, std::error_code& ec) noexcept;
std::size_t write_raw(LocalStream::Impl& s, const void* data, std::size_t size, std::error_code& ec) noexcept;

// Framed reads: the payload bytes of the peer's frames. Handles that come
// with them are appended to *handles, or closed if handles is null.
std::size_t read_framed(LocalStream::Impl& s, MutableBuffer buffer, std::vector<OwnedHandle>* handles,
                        std::error_code& ec) noexcept;
// Framed writes: start_frame() prepares a frame's prefix (header, handle
// values); write_frame_start() writes it with the first `size` bytes of its
// payload (in one WriteFile when they fit a small buffer) and returns the
// payload bytes written; flush_prefix() finishes a prefix a timed-out write
// left; write_framed() writes payload, starting frames as needed.
void start_frame(LocalStream::Impl& s, const frame::Header& header, const std::uint64_t* values) noexcept;
std::size_t write_frame_start(LocalStream::Impl& s, const void* data, std::size_t size, std::error_code& ec) noexcept;
bool flush_prefix(LocalStream::Impl& s, std::error_code& ec) noexcept;
std::size_t write_framed(LocalStream::Impl& s, ConstBuffer data, std::error_code& ec) noexcept;

} // namespace win32
} // namespace localsock
