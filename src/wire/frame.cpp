#include "frame.hpp"

namespace localsock::wire {
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
    put(out + 12, static_cast<std::uint8_t>(header.table), 1);
    put(out + 13, 0, 3); // reserved
}

bool decode(const std::byte* in, Header& header) noexcept {
    if (get(in, 4) != magic || get(in + 4, 1) != version || get(in + 13, 3) != 0)
        return false;
    const auto kind = static_cast<Kind>(get(in + 5, 1));
    const auto handles = static_cast<std::uint16_t>(get(in + 6, 2));
    const auto payload = static_cast<std::uint32_t>(get(in + 8, 4));
    const auto table = static_cast<Table>(get(in + 12, 1));
    if (handles > max_handles_per_message || payload > max_payload)
        return false;
    if (kind == Kind::data && payload == 0)
        return false;
    if (kind == Kind::end_of_stream && (payload != 0 || handles != 0))
        return false;
    if (kind != Kind::data && kind != Kind::end_of_stream)
        return false;
    if (table != Table::none && table != Table::sender && table != Table::receiver)
        return false;
    if ((handles == 0) != (table == Table::none))
        return false;
    header = Header{kind, table, handles, payload};
    return true;
}

void encode_value(std::uint64_t value, std::byte* out) noexcept { put(out, value, value_size); }
std::uint64_t decode_value(const std::byte* in) noexcept { return get(in, value_size); }

bool plausible_handle(std::uint64_t value) noexcept { return value != 0 && value < 0x80000000u && value % 4 == 0; }

bool valid_values(const std::byte* encoded, std::size_t count) noexcept {
    for (std::size_t i = 0; i < count; ++i) {
        const std::uint64_t value = decode_value(encoded + i * value_size);
        if (!plausible_handle(value))
            return false;
        // At most 253 values: comparing pairs costs less than sorting a copy.
        for (std::size_t j = 0; j < i; ++j)
            if (decode_value(encoded + j * value_size) == value)
                return false;
    }
    return true;
}

bool decode_prefix(const std::byte* prefix, std::size_t size, Header& header) noexcept {
    Header h;
    if (size < header_size || !decode(prefix, h) || size < h.prefix_size() ||
        !valid_values(prefix + header_size, h.handle_count))
        return false;
    header = h;
    return true;
}

bool decode_message_start(const std::byte* first, std::size_t got, bool more, Header& header) noexcept {
    Header h;
    if (!decode_prefix(first, got, h))
        return false;
    if (h.kind == Kind::end_of_stream && (more || got != header_size))
        return false;
    header = h;
    return true;
}

} // namespace localsock::wire
