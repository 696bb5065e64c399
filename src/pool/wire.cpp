#include "wire.hpp"

#include <localsock/error.hpp>

namespace localsock::pool {

namespace {

void put(std::byte* out, std::uint64_t value, int bytes) noexcept {
    for (int i = 0; i < bytes; ++i)
        out[i] = static_cast<std::byte>((value >> (8 * i)) & 0xFF);
}

std::uint64_t get(const std::byte* in, int bytes) noexcept {
    std::uint64_t value = 0;
    for (int i = 0; i < bytes; ++i)
        value |= std::uint64_t{std::to_integer<unsigned char>(in[i])} << (8 * i);
    return value;
}

std::optional<Message> parse(std::span<const std::byte> bytes, MessageType expected, std::error_code& ec) noexcept {
    if (bytes.size() != message_size || get(bytes.data(), 4) != static_cast<std::uint32_t>(expected)) {
        ec = make_error_code(errc::protocol_error);
        return std::nullopt;
    }
    return Message{expected, static_cast<std::uint32_t>(get(bytes.data() + 4, 4)), get(bytes.data() + 8, 8),
                   get(bytes.data() + 16, 8)};
}

} // namespace

std::array<std::byte, message_size> encode(const Message& message) noexcept {
    std::array<std::byte, message_size> out{};
    put(out.data(), static_cast<std::uint32_t>(message.type), 4);
    put(out.data() + 4, message.slot, 4);
    put(out.data() + 8, message.a, 8);
    put(out.data() + 16, message.b, 8);
    return out;
}

std::optional<Shape> parse_setup(std::span<const std::byte> bytes, std::error_code& ec) noexcept {
    ec.clear();
    const std::optional<Message> message = parse(bytes, MessageType::setup, ec);
    if (!message)
        return std::nullopt;
    const Shape shape{message->slot, message->a};
    // Checked without overflow: slot_count < 2^16, so the product of a
    // slot size below 2^40 cannot wrap.
    if (message->b != version || shape.slot_count == 0 || shape.slot_count > max_slots || shape.slot_size == 0 ||
        shape.slot_size > max_region_size || shape.region_size() > max_region_size) {
        ec = make_error_code(errc::protocol_error);
        return std::nullopt;
    }
    return shape;
}

std::optional<FrameRange> parse_frame(std::span<const std::byte> bytes, const Shape& shape,
                                      std::error_code& ec) noexcept {
    ec.clear();
    const std::optional<Message> message = parse(bytes, MessageType::frame, ec);
    if (!message)
        return std::nullopt;
    if (message->slot >= shape.slot_count || shape.slot_size == 0) {
        ec = make_error_code(errc::protocol_error);
        return std::nullopt;
    }
    // offset + length <= the room from the slot's start to the region's
    // end, written so that nothing can wrap (the room's product is checked
    // too, whatever shape the caller passes).
    const std::uint64_t room = std::uint64_t{shape.slot_count - message->slot} * shape.slot_size;
    if (room / shape.slot_size != shape.slot_count - message->slot || message->a > room ||
        message->b > room - message->a) {
        ec = make_error_code(errc::protocol_error);
        return std::nullopt;
    }
    const auto slots = static_cast<std::uint32_t>(slots_spanned(message->a + message->b, shape.slot_size));
    return FrameRange{message->slot, message->a, message->b, slots};
}

std::optional<std::uint32_t> parse_release(std::span<const std::byte> bytes, const Shape& shape,
                                           std::error_code& ec) noexcept {
    ec.clear();
    const std::optional<Message> message = parse(bytes, MessageType::release, ec);
    if (!message)
        return std::nullopt;
    if (message->slot >= shape.slot_count || message->a != 0 || message->b != 0) {
        ec = make_error_code(errc::protocol_error);
        return std::nullopt;
    }
    return message->slot;
}

} // namespace localsock::pool
