// Private: the reading side of a framed byte stream (docs/wire-format.md) as
// pure code — the read-ahead, the frame prefix decoded across any number of
// reads, and the payload handed out one frame at a time. It makes no system
// call: whoever owns the pipe refills it, and takes the handles it reports.
//
// One reader, two refills. A read is a loop of step() and refill:
//
//     for (;;) {
//         Step s = decoder.step(out);
//         if (s.next == Next::handles) { take decoder.header() / values(); continue; }
//         if (s.next != Next::more_bytes) return s;      // payload, end, malformed
//         std::span<std::byte> to = decoder.space(out);  // read-ahead, or `out` itself
//         n = <read from the pipe into `to`>;
//         n > 0 ? decoder.commit(n) : decoder.input_ended();  // 0: the peer closed
//     }
//
// The sync LocalStream (src/win32/stream_read.cpp) refills with a blocking,
// timed or non-blocking ReadFile right there in the loop. The async stream
// will refill with an overlapped ReadFile on Asio's completion port: the
// operation calls space(out) and starts the read into that span (the
// read-ahead lives in the object and `out` is the user's buffer, both alive
// until the operation completes); its completion handler calls commit(n) —
// or input_ended() for ERROR_BROKEN_PIPE, and nothing for a read cancelled
// before any byte came, which leaves the decoder where it was — and then
// steps again. Nothing in between depends on which refill ran, so both
// objects decode, check and deliver through this one class, and the fuzzer
// (tests/fuzz/fuzz_frame.cpp) drives it with arbitrary splits of the bytes.
#pragma once

#include "frame.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace localsock::wire {

// A read smaller than this reads ahead up to this much: one ReadFile then
// serves a frame's prefix and payload, or several frames. A larger read of
// payload goes straight into the caller's buffer (no copy).
inline constexpr std::size_t read_ahead_size = 65536;

class StreamDecoder {
public:
    enum class Next : std::uint8_t {
        more_bytes,    // everything read is consumed: refill (space(), commit()), then step again
        handles,       // a frame with handle values starts: take header() / values(), then step again
        payload,       // Step::bytes (> 0) payload bytes are at the start of the caller's buffer
        end_of_stream, // an end-of-stream frame, or the input ended (also inside a frame)
        malformed,     // a frame breaks the rules: protocol_error, now and for every later step
    };
    struct Step {
        Next next;
        std::size_t bytes = 0;
    };

    // `ahead_capacity` is the read-ahead's size (the fuzzer makes it small to
    // reach the direct reads; 0 means none, as when it cannot be allocated).
    explicit StreamDecoder(std::size_t ahead_capacity = read_ahead_size) noexcept : capacity_(ahead_capacity) {}

    // Consumes what was read, up to the first of: one frame's payload bytes
    // (at most out.size(), never past the frame's end), a frame's handle
    // values (reported before its first payload byte, so that whoever takes
    // them can deliver them with that byte), the end, or a malformed frame.
    // An empty `out` is answered with payload 0 and consumes nothing.
    Step step(std::span<std::byte> out) noexcept;

    // The refill, after step() said more_bytes: where the next read from the
    // pipe goes — the read-ahead (allocated by the first such call) when the
    // bytes still wanted are fewer than it holds, otherwise the rest of the
    // prefix or the first of `out` that the frame's payload can fill. The
    // same `out` must go to the step() after commit(): a read into it is
    // that step's payload.
    std::span<std::byte> space(std::span<std::byte> out) noexcept;
    // n (> 0) bytes arrived at space().data().
    void commit(std::size_t n) noexcept;
    // The pipe closed (a read of 0 bytes): nothing more comes.
    void input_ended() noexcept;

    // The frame whose Next::handles was just reported: its header, and its
    // header.handle_count values, checked by decode_prefix (all plausible, no
    // value twice) and encoded as on the wire.
    const Header& header() const noexcept { return header_; }
    const std::byte* values() const noexcept { return prefix_.data() + header_size; }

    // No more frames will be read: end of stream seen, or the input ended.
    bool ended() const noexcept { return ended_; }

private:
    enum class Target : std::uint8_t { ahead, prefix, payload };

    std::size_t prefix_wanted() const noexcept { return header_known_ ? header_.prefix_size() : header_size; }
    std::size_t ahead_left() const noexcept { return ahead_end_ - ahead_begin_; }
    std::size_t take_ahead(std::byte* to, std::size_t most) noexcept;
    Step fail() noexcept;

    std::array<std::byte, max_prefix_size> prefix_; // header, then handle values
    std::size_t have_ = 0;                          // prefix bytes gathered so far
    bool header_known_ = false;
    Header header_;
    std::uint32_t payload_left_ = 0; // payload bytes of the current frame not yet delivered
    std::size_t direct_payload_ = 0; // committed straight into `out`: the next step's payload
    bool ended_ = false;
    bool malformed_ = false; // nothing more can be trusted
    Target target_ = Target::ahead;

    std::unique_ptr<std::byte[]> ahead_;
    std::size_t capacity_;
    std::size_t ahead_begin_ = 0;
    std::size_t ahead_end_ = 0;
};

} // namespace localsock::wire
