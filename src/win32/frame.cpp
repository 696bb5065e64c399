#include "frame.hpp"

namespace localsock::win32::frame {
namespace {

void put(std::byte* out, std::uint64_t value, std::size_t bytes) noexcept {
    for (std::size_t i = 0; i < bytes; ++i)
        out[i] = static_cast<std::byte>(value >> (8 * i)); // little-endian on every host
}

std::uint64_t get(const std::byte* in, std::size_t bytes) noexcept {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < bytes; ++i)
        value |= static_cast<std::uint64_t>(in[i]) << (8 * i);
    return value;
}

} // namespace

void encode(const Header& header, std::byte* out) noexcept {
    put(out + 0, magic, 4);
    put(out + 4, version, 1);
    put(out + 5, static_cast<std::uint8_t>(header.kind), 1);
    put(out + 6, header.handle_count, 2);
    put(out + 8, header.payload_length, 4);
    put(out + 12, 0, 4); // reserved
}

bool decode(const std::byte* in, Header& header) noexcept {
    if (get(in, 4) != magic || get(in + 4, 1) != version || get(in + 12, 4) != 0)
        return false;
    const auto kind = static_cast<Kind>(get(in + 5, 1));
    const auto handles = static_cast<std::uint16_t>(get(in + 6, 2));
    const auto payload = static_cast<std::uint32_t>(get(in + 8, 4));
    if (handles > max_handles_per_message || payload > max_payload)
        return false;
    if (kind == Kind::data && payload == 0)
        return false;
    if (kind == Kind::end_of_stream && (payload != 0 || handles != 0))
        return false;
    if (kind != Kind::data && kind != Kind::end_of_stream)
        return false;
    header = Header{kind, handles, payload};
    return true;
}

void encode_value(std::uint64_t value, std::byte* out) noexcept { put(out, value, value_size); }
std::uint64_t decode_value(const std::byte* in) noexcept { return get(in, value_size); }

bool plausible_handle(std::uint64_t value) noexcept {
    return value != 0 && value <= 0xFFFFFFFFu && value % 4 == 0;
}

} // namespace localsock::win32::frame
