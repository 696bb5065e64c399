// Fuzzer for the Windows frame codec (src/wire/frame.cpp): every byte a
// framed pipe peer sends passes through it before anything is owned or
// closed. It is pure code, so it fuzzes natively on Linux.
//
// By hand, from the repository root:
//   clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
//       tests/fuzz/fuzz_frame.cpp src/wire/frame.cpp -o fuzz_frame
//   ./fuzz_frame -max_total_time=300 tests/fuzz/corpus/fuzz_frame   # add a scratch dir first to keep new inputs
//
// Beyond crashes it checks handle accounting against an independent model of
// docs/wire-format.md: a frame the codec accepts is exactly one the rules
// accept; the values a reader would take (or close) are exactly the frame's
// values, each once, each plausible; a rejected frame yields nothing to take
// or to close; and an accepted header re-encodes to the same bytes.
#include "wire/frame.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <set>

namespace wire = localsock::wire;

namespace {

#define FUZZ_CHECK(condition)                                                            \
    do {                                                                                 \
        if (!(condition)) {                                                              \
            std::fprintf(stderr, "fuzz_frame: check failed: %s (line %d)\n", #condition, __LINE__); \
            std::abort();                                                                \
        }                                                                                \
    } while (0)

std::uint64_t le(const std::uint8_t* p, std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i)
        v |= std::uint64_t{p[i]} << (8 * i);
    return v;
}

// The rules of docs/wire-format.md, written out independently of the codec.
struct ModelHeader {
    unsigned kind, table, count;
    std::uint64_t payload;
};

bool model_header(const std::uint8_t* p, ModelHeader& h) {
    h = {static_cast<unsigned>(p[5]), static_cast<unsigned>(p[12]), static_cast<unsigned>(le(p + 6, 2)), le(p + 8, 4)};
    if (le(p, 4) != 0x314B534C || p[4] != 2 || p[13] || p[14] || p[15])
        return false;
    if (h.count > 253 || h.payload > 0x7FFFFFFF || h.table > 2 || (h.count == 0) != (h.table == 0))
        return false;
    if (h.kind == 1)
        return h.payload > 0;
    if (h.kind == 2)
        return h.payload == 0 && h.count == 0;
    return false;
}

bool model_value(std::uint64_t v) {
    const std::int64_t s = static_cast<std::int64_t>(v);
    const bool pseudo = (s >= -12 && s <= -1) || (v >= 0xFFFFFFF4u && v <= 0xFFFFFFFFu);
    return v != 0 && !pseudo && v < 0x80000000u && (v & 3) == 0;
}

bool model_values(const std::uint8_t* p, std::size_t count) {
    std::set<std::uint64_t> seen;
    for (std::size_t i = 0; i < count; ++i)
        if (!model_value(le(p + 8 * i, 8)) || !seen.insert(le(p + 8 * i, 8)).second)
            return false;
    return true;
}

// What a reader does with an accepted prefix: take (or close) each value once.
void account(const std::uint8_t* prefix, const wire::Header& h) {
    std::set<std::uint64_t> taken;
    for (std::size_t i = 0; i < h.handle_count; ++i) {
        const std::uint64_t v = wire::decode_value(reinterpret_cast<const std::byte*>(prefix) + wire::header_size +
                                                   i * wire::value_size);
        FUZZ_CHECK(model_value(v));
        FUZZ_CHECK(taken.insert(v).second); // never the same handle twice
    }
    FUZZ_CHECK(taken.size() == h.handle_count);
    FUZZ_CHECK((h.handle_count == 0) == (h.table == wire::Table::none));
    std::byte again[wire::header_size];
    wire::encode(h, again);
    FUZZ_CHECK(std::memcmp(again, prefix, wire::header_size) == 0);
}

// Stream mode: frames back to back, read as LocalStream's reader does
// (header, then its values, then payload), until the bytes end or a frame is
// malformed (the stream is then dead: nothing more is read).
void walk_stream(const std::uint8_t* data, std::size_t size) {
    std::size_t at = 0;
    while (size - at >= wire::header_size) {
        const std::uint8_t* p = data + at;
        wire::Header h;
        const bool header_ok = wire::decode(reinterpret_cast<const std::byte*>(p), h);
        ModelHeader m;
        FUZZ_CHECK(header_ok == model_header(p, m));
        if (!header_ok)
            return;
        FUZZ_CHECK(h.handle_count == m.count && h.payload_length == m.payload);
        if (size - at < h.prefix_size())
            return; // the values never came: nothing taken
        wire::Header full;
        const bool ok = wire::decode_prefix(reinterpret_cast<const std::byte*>(p), h.prefix_size(), full);
        FUZZ_CHECK(ok == model_values(p + wire::header_size, m.count));
        if (!ok)
            return; // malformed: no value is taken, none is closed
        account(p, full);
        if (full.kind == wire::Kind::end_of_stream)
            return;
        at += full.prefix_size() + full.payload_length > size - at ? size - at : full.prefix_size() + full.payload_length;
    }
}

// Message mode: the input is one pipe message, of which the reader's first
// read got at most `first` bytes.
void check_message(const std::uint8_t* data, std::size_t size, std::size_t first) {
    const std::size_t got = size < first ? size : first;
    const bool more = got < size;
    wire::Header h;
    const bool ok = wire::decode_message_start(reinterpret_cast<const std::byte*>(data), got, more, h);
    ModelHeader m;
    bool expected = got >= wire::header_size && model_header(data, m) && got >= 16 + 8 * std::size_t{m.count} &&
                    model_values(data + 16, m.count) && !(m.kind == 2 && (more || got != 16));
    FUZZ_CHECK(ok == expected);
    if (!ok)
        return;
    if (!wire::message_size_matches(h, size))
        return; // malformed as a whole: still nothing taken
    FUZZ_CHECK(size == 16 + 8 * std::size_t{m.count} + m.payload);
    account(data, h);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    walk_stream(data, size);
    check_message(data, size, 65536);
    // A first read that ends inside the prefix must be refused, never read past.
    if (size > 1)
        check_message(data, size, data[size - 1] % (wire::max_prefix_size + 1));
    return 0;
}
