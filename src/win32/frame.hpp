// Private: the frame format that carries bytes and handle values on a
// Windows pipe opened with handle_passing (docs/wire-format.md).
#pragma once

#include <localsock/stream.hpp>

#include <cstddef>
#include <cstdint>

namespace localsock::win32::frame {

inline constexpr std::uint32_t magic = 0x314B534C; // "LSK1" on the wire
inline constexpr std::uint8_t version = 1;
inline constexpr std::size_t header_size = 16;
inline constexpr std::size_t value_size = 8;
inline constexpr std::size_t max_prefix_size = header_size + value_size * max_handles_per_message;
inline constexpr std::uint32_t max_payload = 0x7FFFFFFF;

enum class Kind : std::uint8_t { data = 1, end_of_stream = 2 };

struct Header {
    Kind kind = Kind::data;
    std::uint16_t handle_count = 0;
    std::uint32_t payload_length = 0;

    std::size_t prefix_size() const noexcept { return header_size + value_size * handle_count; }
};

void encode(const Header& header, std::byte* out) noexcept;
// False for anything this version does not write: wrong magic or version,
// unknown kind, reserved bits set, a data frame without payload, an end
// frame with content, more than max_handles_per_message handles.
bool decode(const std::byte* in, Header& header) noexcept;

void encode_value(std::uint64_t value, std::byte* out) noexcept;
std::uint64_t decode_value(const std::byte* in) noexcept;
// A value a peer may claim to have duplicated into us: not 0, not a
// pseudo-handle (-1 .. -12 sign-extended), a multiple of 4, 32-bit.
bool plausible_handle(std::uint64_t value) noexcept;

} // namespace localsock::win32::frame
