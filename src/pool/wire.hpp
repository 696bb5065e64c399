// Private, portable: the buffer pool's messages (docs/wire-format.md, "Buffer
// pool"). Every message is 24 bytes, little-endian:
//   u32 type | u32 slot | u64 a | u64 b
//   setup   (1): slot = slot count, a = slot size, b = version (1)
//   frame   (2): slot = the first slot of the frame's run, a = offset from
//                that slot's start, b = length; the frame holds the slots
//                slot .. slot + ceil((a + b) / slot size) - 1 (one at least)
//   release (3): slot, a = b = 0
// The parser checks everything a peer could get wrong or lie about; what
// it accepts can index the region without further checks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>

namespace localsock::pool {

inline constexpr std::size_t message_size = 24;
inline constexpr std::uint64_t version = 1;
// Limits a setup message may ask for: the region is mapped whole.
inline constexpr std::uint32_t max_slots = 1u << 16;
inline constexpr std::uint64_t max_region_size = std::uint64_t{1} << 40;

enum class MessageType : std::uint32_t { setup = 1, frame = 2, release = 3 };

struct Message {
    MessageType type{};
    std::uint32_t slot = 0;
    std::uint64_t a = 0;
    std::uint64_t b = 0;
};

std::array<std::byte, message_size> encode(const Message& message) noexcept;

// The pool's shape, from a setup message: slot_count slots of slot_size bytes.
struct Shape {
    std::uint32_t slot_count = 0;
    std::uint64_t slot_size = 0;
    std::uint64_t region_size() const noexcept { return std::uint64_t{slot_count} * slot_size; }
};

// Each returns the message's meaning, or errc::protocol_error in `ec` for a
// message of the wrong size or type, a slot out of range, or a range that
// leaves the region.
std::optional<Shape> parse_setup(std::span<const std::byte> bytes, std::error_code& ec) noexcept;
struct FrameRange {
    std::uint32_t slot = 0;   // the first slot of the run
    std::uint64_t offset = 0; // from that slot's start
    std::uint64_t length = 0;
    std::uint32_t slots = 1;  // how many slots the frame holds
};
// The slots a frame of `end` bytes from its first slot's start holds: one
// at least (an empty frame holds its slot).
constexpr std::uint64_t slots_spanned(std::uint64_t end, std::uint64_t slot_size) noexcept {
    return end <= slot_size ? 1 : (end - 1) / slot_size + 1;
}
std::optional<FrameRange> parse_frame(std::span<const std::byte> bytes, const Shape& shape,
                                      std::error_code& ec) noexcept;
std::optional<std::uint32_t> parse_release(std::span<const std::byte> bytes, const Shape& shape,
                                           std::error_code& ec) noexcept;

} // namespace localsock::pool
