// Private: what a LocalStream is on Windows — a byte-mode pipe (PipeCore),
// plus, when it passes handles, the state of the frame protocol in each
// direction (docs/wire-format.md).
#pragma once

#include "../wire/frame.hpp"
#include "../wire/stream_decoder.hpp"
#include "pipe_core.hpp"

#include <localsock/stream.hpp>

#include <array>
#include <memory>

namespace localsock {
namespace win32 {

// Reading side: the frame decoder with its read-ahead (pure code, shared
// with the async stream), and the handles of the frame being read.
struct Inbound {
    wire::StreamDecoder decoder;
    // Handles of the current frame, owned from the moment the decoder
    // reported its values; delivered with the frame's first payload bytes.
    std::array<OwnedHandle, max_handles_per_message> pending;
    std::size_t pending_count = 0;
    // The current frame's handles were not delivered: handles_truncated
    // (more than the limit, or not takeable; closed where they were) or
    // permission_denied (pushed by a peer that may not push; left alone).
    std::error_code dropped;
};

// Writing side: a frame prefix not fully written yet, and payload bytes the
// current frame still announces (after a timed-out or partial write, the
// next bytes written complete it).
struct Outbound {
    std::array<std::byte, wire::max_prefix_size> prefix;
    std::size_t size = 0;
    std::size_t sent = 0;
    std::uint32_t payload_owed = 0;
};

} // namespace win32

struct LocalStream::Impl : win32::PipeCore {
    // Non-blocking writes: the bytes are copied here and the write stays in
    // flight (PipeCore); the next write reports would_block until it has completed.
    std::unique_ptr<std::byte[]> write_buffer;
    // Framed streams read ahead (in.decoder, its buffer allocated with the
    // first small read), so that a small frame's prefix and payload come in
    // one ReadFile instead of two.
    win32::Inbound in;
    win32::Outbound out;

    // A write still in flight is cancelled. Handles in frames nobody read
    // are in this process already: find and close them before the pipe goes.
    ~Impl();
};

namespace win32 {

// One WriteFile under the stream's timeout and blocking mode.
std::size_t write_raw(LocalStream::Impl& s, const void* data, std::size_t size, std::error_code& ec) noexcept;

// read_some and receive: one read of the stream's bytes — with framing, the
// payload of the peer's frames, never past one frame. Handles that come with
// them are appended to *handles, or closed if handles is null.
std::size_t read_stream(LocalStream::Impl* s, MutableBuffer buffer, std::vector<OwnedHandle>* handles,
                        std::error_code& ec) noexcept;
// Framed writes: start_frame() prepares a frame's prefix (its handle values,
// if any, are already encoded after the header in out.prefix);
// write_frame_start() writes it with the first `size` bytes of its payload
// (in one WriteFile when they fit a small buffer) and returns the payload
// bytes written; flush_prefix() finishes a prefix a timed-out write left;
// write_framed() writes payload, starting frames as needed.
void start_frame(LocalStream::Impl& s, const wire::Header& header) noexcept;
std::size_t write_frame_start(LocalStream::Impl& s, const void* data, std::size_t size, std::error_code& ec) noexcept;
bool flush_prefix(LocalStream::Impl& s, std::error_code& ec) noexcept;
std::size_t write_framed(LocalStream::Impl& s, ConstBuffer data, std::error_code& ec) noexcept;

} // namespace win32
} // namespace localsock
