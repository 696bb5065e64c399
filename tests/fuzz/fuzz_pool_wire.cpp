// Fuzzes the buffer pool's message parser (src/pool/wire.cpp): whatever a
// peer sends, a setup it accepts describes a region that fits the limits,
// and a frame it accepts lies inside the region and holds exactly the run
// of slots its bytes need (so the consumer can index the region with it
// unchecked); a release names an existing slot.
// Encoding what was parsed gives the same bytes back.
#include "pool/wire.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

namespace {

[[noreturn]] void violated(const char* property) {
    __builtin_printf("property violated: %s\n", property);
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace localsock::pool;
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
    std::error_code ec;

    const std::optional<Shape> setup = parse_setup(bytes, ec);
    if (setup.has_value() == static_cast<bool>(ec))
        violated("setup: exactly one of a result and an error");
    if (setup) {
        if (setup->slot_count == 0 || setup->slot_count > max_slots || setup->slot_size == 0 ||
            setup->region_size() > max_region_size || setup->region_size() / setup->slot_count != setup->slot_size)
            violated("an accepted setup is out of bounds");
        const auto again = encode({MessageType::setup, setup->slot_count, setup->slot_size, version});
        if (std::memcmp(again.data(), data, message_size) != 0)
            violated("a setup does not encode back to its bytes");
    }

    // The rest against a shape taken from the input's end (any shape).
    Shape shape{1, 4096};
    if (size >= message_size + 12) {
        std::uint32_t count = 0;
        std::uint64_t slot_size = 0;
        std::memcpy(&count, data + message_size, 4);
        std::memcpy(&slot_size, data + message_size + 4, 8);
        shape = {count % (max_slots + 1), slot_size % (max_region_size + 1)};
    }
    const auto message = bytes.first(std::min(size, message_size));
    const std::optional<FrameRange> frame = parse_frame(message, shape, ec);
    if (frame.has_value() == static_cast<bool>(ec))
        violated("frame: exactly one of a result and an error");
    if (frame) {
        // Computed in 128 bits: the property, not the parser's arithmetic.
        const unsigned __int128 region = static_cast<unsigned __int128>(shape.slot_count) * shape.slot_size;
        const unsigned __int128 start = static_cast<unsigned __int128>(frame->slot) * shape.slot_size;
        const unsigned __int128 end = start + frame->offset + frame->length;
        if (frame->slot >= shape.slot_count || end > region)
            violated("an accepted frame leaves the region");
        const unsigned __int128 run_end = start + static_cast<unsigned __int128>(frame->slots) * shape.slot_size;
        if (frame->slots == 0 || frame->slot + std::uint64_t{frame->slots} > shape.slot_count || end > run_end ||
            (frame->slots > 1 && end <= run_end - shape.slot_size))
            violated("an accepted frame's run is not the slots its bytes need");
    }
    const std::optional<std::uint32_t> release = parse_release(message, shape, ec);
    if (release.has_value() == static_cast<bool>(ec))
        violated("release: exactly one of a result and an error");
    if (release && *release >= shape.slot_count)
        violated("an accepted release names no slot");
    return 0;
}
