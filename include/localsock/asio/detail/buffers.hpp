// Private: Asio buffer sequences as the sync API's buffer spans.
#pragma once

#include <localsock/asio/config.hpp>
#include <localsock/buffer.hpp>

#include <array>
#include <cstddef>
#include <span>
#include <type_traits>

namespace localsock::asio_detail {

// As many parts as one system call takes here; a longer sequence is read or
// written in part, as read_some / write_some may be.
inline constexpr std::size_t max_buffer_parts = 16;

template <class Buffer>
struct BufferParts {
    std::array<Buffer, max_buffer_parts> parts;
    std::size_t count = 0;
    std::span<const Buffer> span() const noexcept { return {parts.data(), count}; }
};

inline MutableBuffer to_localsock(const net::mutable_buffer& b) noexcept { return {b.data(), b.size()}; }
inline ConstBuffer to_localsock(const net::const_buffer& b) noexcept { return {b.data(), b.size()}; }

template <class Buffer, class Sequence>
BufferParts<Buffer> gather(const Sequence& sequence) noexcept {
    BufferParts<Buffer> out;
    for (auto it = net::buffer_sequence_begin(sequence), end = net::buffer_sequence_end(sequence);
         it != end && out.count < max_buffer_parts; ++it)
        out.parts[out.count++] = to_localsock(*it);
    return out;
}

} // namespace localsock::asio_detail
