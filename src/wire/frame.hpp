// Private: the frame format that carries bytes and handle values on a
// Windows pipe opened with handle_passing (docs/wire-format.md). Pure,
// platform-free code: every platform compiles it and the fuzzer
// (tests/fuzz/fuzz_frame.cpp) runs it natively, and every Windows read path
// decides what a peer's bytes mean through it alone.
#pragma once

#include <localsock/stream.hpp>

#include <cstddef>
#include <cstdint>

namespace localsock::wire {

inline constexpr std::uint32_t magic = 0x314B534C; // "LSK1" on the wire
inline constexpr std::uint8_t version = 2;
inline constexpr std::size_t header_size = 16;
inline constexpr std::size_t value_size = 8;
inline constexpr std::size_t max_prefix_size = header_size + value_size * max_handles_per_message;
inline constexpr std::uint32_t max_payload = 0x7FFFFFFF;

enum class Kind : std::uint8_t { data = 1, end_of_stream = 2 };

// In whose handle table a frame's values are (docs/wire-format.md, "Trust"):
// the sender's, for the receiver to take (pull), or the receiver's own,
// duplicated there by the sender (push). `none` exactly when there are no values.
enum class Table : std::uint8_t { none = 0, sender = 1, receiver = 2 };

struct Header {
    Kind kind = Kind::data;
    Table table = Table::none;
    std::uint16_t handle_count = 0;
    std::uint32_t payload_length = 0;

    std::size_t prefix_size() const noexcept { return header_size + value_size * handle_count; }
};

void encode(const Header& header, std::byte* out) noexcept;
// False for anything this version does not write: wrong magic or version,
// unknown kind or table, reserved bits set, a data frame without payload, an
// end frame with content, more than max_handles_per_message handles, a table
// without values or values without one.
bool decode(const std::byte* in, Header& header) noexcept;

void encode_value(std::uint64_t value, std::byte* out) noexcept;
std::uint64_t decode_value(const std::byte* in) noexcept;
// A value that can be a user-mode handle in some process's table: not 0, a
// multiple of 4, below 0x80000000 — which rules out every pseudo-handle
// (-1 .. -12), sign-extended or zero-extended to 32 bits, and kernel handles.
bool plausible_handle(std::uint64_t value) noexcept;
// The `count` encoded values of a frame: all plausible, and no value twice
// (a handle owned, or closed, twice would be another one's the second time).
bool valid_values(const std::byte* encoded, std::size_t count) noexcept;

// A whole prefix (header and values) of `size` bytes, checked; the stream
// reader calls it once the header's prefix_size() bytes are in.
bool decode_prefix(const std::byte* prefix, std::size_t size, Header& header) noexcept;

// Message mode (LocalSeqpacket): the first `got` bytes of a pipe message,
// `more` if the message has more than that. True when they start a
// well-formed frame (a whole prefix with valid values; an end-of-stream
// frame is the header and nothing else); the size check of the whole
// message against the header is message_size_matches().
bool decode_message_start(const std::byte* first, std::size_t got, bool more, Header& header) noexcept;
inline bool message_size_matches(const Header& header, std::size_t message_size) noexcept {
    return message_size == header.prefix_size() + header.payload_length;
}

} // namespace localsock::wire
