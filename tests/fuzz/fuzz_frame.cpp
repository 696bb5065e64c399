// Fuzzer for the Windows frame codec (src/wire/frame.cpp) and the stream
// decoder over it (src/wire/stream_decoder.cpp): every byte a framed pipe
// peer sends passes through them before anything is owned or closed. They
// are pure code, so they fuzz natively on Linux.
//
// By hand, from the repository root:
//   clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
//       tests/fuzz/fuzz_frame.cpp src/wire/frame.cpp src/wire/stream_decoder.cpp -o fuzz_frame
//   ./fuzz_frame -max_total_time=300 tests/fuzz/corpus/fuzz_frame   # add a scratch dir first to keep new inputs
//
// Beyond crashes it checks handle accounting against an independent model of
// docs/wire-format.md: a frame the codec accepts is exactly one the rules
// accept; the values a reader would take (or close) are exactly the frame's
// values, each once, each plausible; a rejected frame yields nothing to take
// or to close; and an accepted header re-encodes to the same bytes. The
// stream decoder, fed the same bytes in arbitrary pieces and read into
// buffers of arbitrary sizes (through its read-ahead and around it), must
// report exactly the model's frames: each frame's values once, before its
// first payload byte; its payload in order, never mixed with another
// frame's; then the end or the malformed frame where the model sees it.
#include "wire/frame.hpp"
#include "wire/stream_decoder.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <set>
#include <span>
#include <vector>

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


// What the model expects of a framed stream read to its end: the frames
// whose values or payload a reader sees, each with its values and the part
// of its payload that arrived, then how the stream stops.
struct ModelFrame {
    std::vector<std::uint64_t> values;
    unsigned table;
    std::size_t payload_at, payload_size;
};
enum class Stop { end_frame, malformed, cut };

Stop model_stream(const std::uint8_t* data, std::size_t size, std::vector<ModelFrame>& frames) {
    std::size_t at = 0;
    for (;;) {
        if (size - at < 16)
            return Stop::cut;
        ModelHeader m;
        if (!model_header(data + at, m))
            return Stop::malformed;
        if (m.kind == 2)
            return Stop::end_frame;
        if (size - at < 16 + 8 * std::size_t{m.count})
            return Stop::cut;
        if (!model_values(data + at + 16, m.count))
            return Stop::malformed;
        ModelFrame f{{}, m.table, at + 16 + 8 * std::size_t{m.count}, 0};
        for (std::size_t i = 0; i < m.count; ++i)
            f.values.push_back(le(data + at + 16 + 8 * i, 8));
        const std::size_t arrived = size - f.payload_at;
        f.payload_size = m.payload < arrived ? m.payload : arrived;
        if (!f.values.empty() || f.payload_size > 0) // a frame of nothing seen is not reported
            frames.push_back(f);
        if (m.payload > arrived)
            return Stop::cut;
        at = f.payload_at + m.payload;
    }
}

// A small deterministic generator: the splits depend on the input only.
struct Rng {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15u);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
        return z ^ (z >> 31);
    }
    std::size_t upto(std::size_t most) { return most == 0 ? 0 : 1 + next() % most; } // 1 .. most
};

// How a pass splits the bytes: the read-ahead's size, and the largest piece a
// refill delivers and buffer a read offers (each piece and buffer 1 .. that).
struct Split {
    std::size_t capacity, piece, buffer;
};

// Reads the whole stream through wire::StreamDecoder as the Windows readers
// do (step; on more_bytes, space/commit or input_ended) and checks every
// event against the model.
void drive_decoder(const std::uint8_t* data, std::size_t size, const Split& split, Rng& rng) {
    std::vector<ModelFrame> frames;
    const Stop stop = model_stream(data, size, frames);
    wire::StreamDecoder decoder(split.capacity);
    static std::vector<std::byte> buffer;
    buffer.resize(split.buffer);
    std::size_t fed = 0;              // input bytes the refills delivered
    std::size_t frame = frames.size(); // the frame being delivered (none yet)
    std::size_t delivered = 0;         // of its payload
    bool values_seen = false;          // its values were reported
    const auto frame_done = [&] {
        return frame == frames.size() ? true : delivered == frames[frame].payload_size;
    };
    // n payload bytes at `bytes`: the next of the current frame, or the first
    // of a frame without values.
    const auto payload = [&](const std::byte* bytes, std::size_t n) {
        if (frame_done()) {
            frame = frame == frames.size() ? 0 : frame + 1;
            FUZZ_CHECK(frame < frames.size() && frames[frame].values.empty());
            delivered = 0;
            values_seen = false;
        }
        const ModelFrame& f = frames[frame];
        FUZZ_CHECK(values_seen == !f.values.empty());
        FUZZ_CHECK(delivered + n <= f.payload_size); // never into the next frame
        FUZZ_CHECK(std::memcmp(bytes, data + f.payload_at + delivered, n) == 0);
        delivered += n;
    };
    // Each step consumes input, delivers payload or ends; a decoder that
    // stalls is a hang in a reader.
    for (std::size_t steps = 0;; ++steps) {
        FUZZ_CHECK(steps < 4 * size + 64);
        const std::span<std::byte> out(buffer.data(), rng.upto(split.buffer));
        const wire::StreamDecoder::Step step = decoder.step(out);
        switch (step.next) {
        case wire::StreamDecoder::Next::more_bytes: {
            if (fed == size) {
                decoder.input_ended();
                break;
            }
            const std::span<std::byte> to = decoder.space(out);
            FUZZ_CHECK(!to.empty());
            const std::size_t n = std::min({to.size(), size - fed, rng.upto(split.piece)});
            std::memcpy(to.data(), data + fed, n);
            fed += n;
            decoder.commit(n);
            // Bytes read into `out` itself are the payload of the next step,
            // which must be given the same buffer.
            if (to.data() >= out.data() && to.data() < out.data() + out.size()) {
                const wire::StreamDecoder::Step direct = decoder.step(out);
                FUZZ_CHECK(direct.next == wire::StreamDecoder::Next::payload && direct.bytes == n);
                FUZZ_CHECK(to.data() == out.data());
                payload(out.data(), n);
            }
            break;
        }
        case wire::StreamDecoder::Next::handles: {
            FUZZ_CHECK(frame_done());
            frame = frame == frames.size() ? 0 : frame + 1;
            FUZZ_CHECK(frame < frames.size());
            const ModelFrame& f = frames[frame];
            const wire::Header& h = decoder.header();
            FUZZ_CHECK(h.handle_count == f.values.size() && static_cast<unsigned>(h.table) == f.table);
            for (std::size_t i = 0; i < f.values.size(); ++i)
                FUZZ_CHECK(wire::decode_value(decoder.values() + i * wire::value_size) == f.values[i]);
            delivered = 0;
            values_seen = true;
            break;
        }
        case wire::StreamDecoder::Next::payload:
            FUZZ_CHECK(step.bytes > 0 && step.bytes <= out.size());
            payload(out.data(), step.bytes);
            break;
        case wire::StreamDecoder::Next::end_of_stream:
        case wire::StreamDecoder::Next::malformed: {
            const bool end = step.next == wire::StreamDecoder::Next::end_of_stream;
            FUZZ_CHECK(end ? stop != Stop::malformed : stop == Stop::malformed);
            FUZZ_CHECK(stop != Stop::cut || fed == size);
            FUZZ_CHECK(end == decoder.ended());
            // Every frame the model saw was reported, all its payload delivered.
            FUZZ_CHECK(frame_done() && (frames.empty() || frame == frames.size() - 1));
            // And it stays so: nothing more is read or delivered.
            FUZZ_CHECK(decoder.step(out).next == step.next);
            return;
        }
        }
    }
}

// The same bytes split in several ways: through the real read-ahead, through
// tiny ones (so that large reads bypass it), without one (as when it cannot
// be allocated), a byte at a time, and all at once.
void check_splits(const std::uint8_t* data, std::size_t size) {
    std::uint64_t seed = 1469598103934665603u; // FNV-1a of the input
    for (std::size_t i = 0; i < size; ++i)
        seed = (seed ^ data[i]) * 1099511628211u;
    Rng rng{seed};
    drive_decoder(data, size, {wire::read_ahead_size, wire::read_ahead_size, 2 * wire::read_ahead_size}, rng);
    drive_decoder(data, size, {rng.upto(64), rng.upto(96), rng.upto(96)}, rng);
    drive_decoder(data, size, {0, rng.upto(64), rng.upto(64)}, rng);
    drive_decoder(data, size, {rng.upto(32), 1, 1}, rng);
    drive_decoder(data, size, {size + 1, size + 1, size + 1}, rng);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    walk_stream(data, size);
    check_message(data, size, 65536);
    // A first read that ends inside the prefix must be refused, never read past.
    if (size > 1)
        check_message(data, size, data[size - 1] % (wire::max_prefix_size + 1));
    check_splits(data, size);
    return 0;
}
