// The frames examples/shm_producer renders and examples/shm_consumer checks:
// a 512×512 RGBA image (a gradient that moves with the frame number) after
// a 16-byte header, 1 MiB + 16 bytes in all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace shm_frames {

inline constexpr std::uint32_t width = 512;
inline constexpr std::uint32_t height = 512;
inline constexpr std::size_t header_size = 16;
inline constexpr std::size_t frame_size = header_size + std::size_t{width} * height * 4;

inline std::uint32_t pixel(std::uint64_t frame, std::uint32_t x, std::uint32_t y) {
    const auto r = static_cast<std::uint32_t>((x + frame) & 0xFF);
    const auto g = static_cast<std::uint32_t>((y + 2 * frame) & 0xFF);
    const auto b = static_cast<std::uint32_t>((x ^ y) & 0xFF);
    return r | g << 8 | b << 16 | 0xFFu << 24;
}

// Writes frame `number` into `out` (at least frame_size bytes).
inline void render(std::uint64_t number, std::span<std::byte> out) {
    const std::uint32_t header[4] = {static_cast<std::uint32_t>(number), static_cast<std::uint32_t>(number >> 32),
                                     width, height};
    std::memcpy(out.data(), header, sizeof header);
    auto* pixels = out.data() + header_size;
    for (std::uint32_t y = 0; y < height; ++y)
        for (std::uint32_t x = 0; x < width; ++x) {
            const std::uint32_t value = pixel(number, x, y);
            std::memcpy(pixels + (std::size_t{y} * width + x) * 4, &value, 4);
        }
}

// Whether `frame` is frame `number`, every pixel of it.
inline bool intact(std::uint64_t number, std::span<const std::byte> frame) {
    if (frame.size() != frame_size)
        return false;
    std::uint32_t header[4];
    std::memcpy(header, frame.data(), sizeof header);
    if (header[0] != static_cast<std::uint32_t>(number) || header[1] != static_cast<std::uint32_t>(number >> 32) ||
        header[2] != width || header[3] != height)
        return false;
    const auto* pixels = frame.data() + header_size;
    for (std::uint32_t y = 0; y < height; ++y)
        for (std::uint32_t x = 0; x < width; ++x) {
            std::uint32_t value;
            std::memcpy(&value, pixels + (std::size_t{y} * width + x) * 4, 4);
            if (value != pixel(number, x, y))
                return false;
        }
    return true;
}

} // namespace shm_frames
