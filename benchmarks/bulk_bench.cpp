// Bulk transfer between two processes (issue 14): each message fully
// written by the producer (memset) and fully read by the consumer (a sum of
// its bytes at memory speed), through
//   raw-stream     a stream opened without handle passing, plain read()/
//                  write() (ReadFile/WriteFile) on its descriptor: the
//                  hand-written floor of copying
//   stream         LocalStream, write_all / read_exact
//   fresh-region   a new sealed SharedMemory per message, its handle sent,
//                  adopted and mapped by the consumer (one ack per message)
//   pool           BufferPoolProducer / Consumer, 4 slots of the message size
// and, in one process, memcpy of the same size (the floor the issue sets).
// The producer is this program again (`--produce CONTENDER SIZE COUNT
// NAME`), connected to the consumer's listener by name; only the steady
// state is timed (see warm_up_messages). Contenders run interleaved, round
// by round; the medians and the ratios of one run are printed.
//
//   bench-bulk [--quick] [--sizes 65536,1048576,16777216] [--mib-per-size 1024]
//              [--rounds 3] [--only CONTENDER] [--slots 4] [--pin]
//
// One JSON line per contender and size ({"contender", "size", "messages",
// "mib_per_s", "rounds"}), then one per ratio ({"ratio": "pool/stream", ...}).
#include "harness.hpp"
#include "platform.hpp"

#include <localsock/localsock.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

using namespace localsock;
using Clock = std::chrono::steady_clock;

// What the platform helpers call on an error (the harness's own, which
// bench-bulk does not link: it has a main of its own).
[[noreturn]] void bench::fail(const std::string& what) {
    std::fprintf(stderr, "bench-bulk: %s failed\n", what.c_str());
    std::exit(1);
}

namespace {

volatile std::uint64_t sink; // keeps the consumer's reads from being optimised away

void produce(std::span<std::byte> bytes, std::size_t message) {
    std::memset(bytes.data(), static_cast<int>(message & 0xFF), bytes.size());
}

// Reads every byte at memory speed: four independent 16-byte accumulators
// (GCC/Clang vector extensions, SSE2 on any x86-64). A single scalar sum
// runs at a third of the memory bandwidth here and would be what the pool
// measures.
using Lanes = std::uint64_t __attribute__((vector_size(16)));

std::uint64_t consume(std::span<const std::byte> bytes) {
    Lanes a{}, b{}, c{}, d{};
    const std::byte* p = bytes.data();
    std::size_t i = 0;
    for (; i + 64 <= bytes.size(); i += 64) {
        Lanes w, x, y, z;
        std::memcpy(&w, p + i, 16);
        std::memcpy(&x, p + i + 16, 16);
        std::memcpy(&y, p + i + 32, 16);
        std::memcpy(&z, p + i + 48, 16);
        a += w;
        b += x;
        c += y;
        d += z;
    }
    const Lanes total = a + b + c + d;
    std::uint64_t sum = total[0] + total[1];
    for (; i < bytes.size(); ++i)
        sum += std::to_integer<std::uint64_t>(p[i]);
    return sum;
}

// Every contender moves `warm_up` messages before the timed `count`: the
// steady state is measured (pages faulted in, regions mapped, caches warm),
// not the setup, as the other benchmarks do.
std::size_t warm_up_messages(std::size_t count) { return std::max<std::size_t>(8, count / 8); }

// The consumer's clock: started after the warm-up messages, stopped after
// the last one.
class SteadyTimer {
public:
    SteadyTimer(std::size_t warm_up) : warm_up_(warm_up) {}
    void message_done(std::size_t index) {
        if (index + 1 == warm_up_)
            start_ = Clock::now();
        end_ = Clock::now();
    }
    double seconds() const { return std::chrono::duration<double>(end_ - start_).count(); }

private:
    std::size_t warm_up_;
    Clock::time_point start_, end_;
};

std::size_t pool_slots = 4;
// --pin: the consumer on CPU 0, every producer on CPU 1. Unpinned, the
// scheduler sometimes puts the two on one CPU (a wakeup pulls the woken
// process to its waker's CPU) and the pair's figures halve, run to run.
bool pinned = false;

// The name of one producer/consumer pair's listener.
std::string pair_name(const char* contender, std::size_t size) {
    static unsigned serial = 0;
    return "localsock-bulk-" + std::to_string(bench::process_id()) + "-" + contender + "-" + std::to_string(size) +
           "-" + std::to_string(++serial);
}

// --- producers (the child's side) ------------------------------------------------

void produce_raw_stream(LocalStream& channel, std::size_t size, std::size_t total) {
    std::vector<std::byte> buffer(size);
    for (std::size_t m = 0; m < total; ++m) {
        produce(buffer, m);
        bench::raw_write_all(channel.native_handle(), buffer);
    }
}

void produce_stream(LocalStream& channel, std::size_t size, std::size_t total) {
    std::vector<std::byte> buffer(size);
    for (std::size_t m = 0; m < total; ++m) {
        produce(buffer, m);
        channel.write_all(localsock::buffer(buffer));
    }
}

void produce_fresh_regions(LocalSeqpacket& channel, std::size_t size, std::size_t total) {
    char ack = 0;
    for (std::size_t m = 0; m < total; ++m) {
        SharedMemory memory = SharedMemory::create(size, "bulk");
        {
            const SharedMapping view = memory.map(MapAccess::read_write);
            produce(view.writable(), m);
        }
        memory.seal(seals::immutable);
        channel.send("r", {memory.handle()});
        (void)channel.receive(MutableBuffer(&ack, 1));
    }
}

void produce_pool(LocalSeqpacket& channel, std::size_t size, std::size_t total) {
    BufferPoolProducer producer = BufferPoolProducer::create(channel, {size, pool_slots});
    for (std::size_t m = 0; m < total; ++m) {
        PoolSlot slot = producer.acquire();
        produce(slot.bytes(), m);
        producer.submit(std::move(slot), size);
    }
    producer.drain();
}

int run_producer(const std::string& contender, std::size_t size, std::size_t total, const std::string& name) {
    const LocalSocketName at = LocalSocketName::namespaced(name);
    if (contender == "raw-stream" || contender == "stream") {
        ConnectOptions options;
        options.handle_passing = contender == "stream";
        LocalStream channel = LocalStream::connect(at, options);
        (contender == "stream" ? produce_stream : produce_raw_stream)(channel, size, total);
        char end = 0;
        (void)channel.read_some(MutableBuffer(&end, 1)); // the consumer's end: all read
        return 0;
    }
    LocalSeqpacket channel = LocalSeqpacket::connect(at);
    (contender == "pool" ? produce_pool : produce_fresh_regions)(channel, size, total);
    return 0;
}

// --- consumers (timed, here) ------------------------------------------------------

double consume_raw_stream(LocalStream& channel, std::size_t size, std::size_t warm_up, std::size_t total) {
    std::vector<std::byte> buffer(size);
    SteadyTimer timer(warm_up);
    for (std::size_t m = 0; m < total; ++m) {
        bench::raw_read_exact(channel.native_handle(), buffer);
        sink = sink + consume(buffer);
        timer.message_done(m);
    }
    return timer.seconds();
}

double consume_stream(LocalStream& channel, std::size_t size, std::size_t warm_up, std::size_t total) {
    std::vector<std::byte> buffer(size);
    SteadyTimer timer(warm_up);
    for (std::size_t m = 0; m < total; ++m) {
        channel.read_exact(localsock::buffer(buffer));
        sink = sink + consume(buffer);
        timer.message_done(m);
    }
    return timer.seconds();
}

double consume_fresh_regions(LocalSeqpacket& channel, std::size_t size, std::size_t warm_up, std::size_t total) {
    std::vector<OwnedHandle> handles;
    char tag = 0;
    SteadyTimer timer(warm_up);
    for (std::size_t m = 0; m < total; ++m) {
        handles.clear();
        (void)channel.receive(MutableBuffer(&tag, 1), handles);
        const SharedMemory region = SharedMemory::adopt(std::move(handles.at(0)), {size, seals::immutable});
        sink = sink + consume(region.map(MapAccess::read_only).bytes());
        channel.send("a");
        timer.message_done(m);
    }
    return timer.seconds();
}

double consume_pool(LocalSeqpacket& channel, std::size_t, std::size_t warm_up, std::size_t total) {
    BufferPoolConsumer consumer = BufferPoolConsumer::accept(channel);
    SteadyTimer timer(warm_up);
    for (std::size_t m = 0; m < total; ++m) {
        PoolFrame frame = consumer.receive();
        sink = sink + consume(frame.bytes());
        consumer.release(std::move(frame));
        timer.message_done(m);
    }
    return timer.seconds();
}

// One contender, one size: the producer started as a child process, the
// consumer here. The seconds of the timed messages.
double run_pair(const std::string& program, const char* contender, std::size_t size, std::size_t count) {
    const std::size_t warm_up = warm_up_messages(count);
    const std::size_t total = warm_up + count;
    const std::string name = pair_name(contender, size);
    const LocalSocketName at = LocalSocketName::namespaced(name);
    const std::vector<std::string> args = {"--produce", contender, std::to_string(size), std::to_string(total), name,
                                           pinned ? "1" : "-"};
    const std::string which = contender;
    double seconds = 0;
    if (which == "raw-stream" || which == "stream") {
        ListenerOptions options;
        options.handle_passing = which == "stream";
        LocalListener listener = LocalListener::bind(at, options);
        bench::Child child = bench::Child::start(program, args);
        LocalStream channel = listener.accept();
        seconds = (which == "stream" ? consume_stream : consume_raw_stream)(channel, size, warm_up, total);
        channel.close(); // the producer's last read ends
        if (child.wait() != 0)
            bench::fail("bulk producer");
        return seconds;
    }
    LocalSeqpacketListener listener = LocalSeqpacketListener::bind(at);
    bench::Child child = bench::Child::start(program, args);
    LocalSeqpacket channel = listener.accept();
    seconds = (which == "pool" ? consume_pool : consume_fresh_regions)(channel, size, warm_up, total);
    if (child.wait() != 0)
        bench::fail("bulk producer");
    return seconds;
}

double memcpy_floor(std::size_t size, std::size_t count) {
    std::vector<std::byte> from(size, std::byte{1}), to(size);
    const std::size_t total = warm_up_messages(count) + count;
    SteadyTimer timer(warm_up_messages(count));
    for (std::size_t i = 0; i < total; ++i) {
        from[i % size] = static_cast<std::byte>(i);
        std::memcpy(to.data(), from.data(), size);
        sink = sink + std::to_integer<std::uint64_t>(to[(i * 7) % size]);
        timer.message_done(i);
    }
    return timer.seconds();
}

std::vector<std::size_t> parse_sizes(const char* text) {
    std::vector<std::size_t> sizes;
    for (const char* p = text; *p != '\0';) {
        char* end = nullptr;
        sizes.push_back(std::strtoull(p, &end, 10));
        p = *end == ',' ? end + 1 : end;
    }
    return sizes;
}

} // namespace

int main(int argc, char** argv) {
    if (argc == 7 && std::string(argv[1]) == "--produce") {
        if (std::string(argv[6]) != "-")
            (void)bench::pin_to_cpu(static_cast<unsigned>(std::strtoul(argv[6], nullptr, 10)));
        return run_producer(argv[2], std::strtoull(argv[3], nullptr, 10), std::strtoull(argv[4], nullptr, 10),
                            argv[5]);
    }
    std::vector<std::size_t> sizes = {64 * 1024, 1024 * 1024, 16 * 1024 * 1024};
    std::size_t mib_per_size = 1024;
    std::size_t rounds = 1;
    std::string only;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--quick")
            mib_per_size = 16;
        else if (arg == "--sizes" && i + 1 < argc)
            sizes = parse_sizes(argv[++i]);
        else if (arg == "--only" && i + 1 < argc)
            only = argv[++i];
        else if (arg == "--slots" && i + 1 < argc)
            pool_slots = std::strtoull(argv[++i], nullptr, 10);
        else if (arg == "--pin")
            pinned = true;
        else if (arg == "--rounds" && i + 1 < argc)
            rounds = std::max<std::size_t>(1, std::strtoull(argv[++i], nullptr, 10));
        else if (arg == "--mib-per-size" && i + 1 < argc)
            mib_per_size = std::strtoull(argv[++i], nullptr, 10);
        else {
            std::fprintf(stderr, "bench-bulk: unknown argument %s\n", arg.c_str());
            return 2;
        }
    }
    if (pinned && !bench::pin_to_cpu(0)) {
        std::fprintf(stderr, "bench-bulk: cannot pin to CPU 0; running unpinned\n");
        pinned = false;
    }
    const std::string program = bench::this_program(argv[0]);
    const char* const contenders[] = {"memcpy", "raw-stream", "stream", "fresh-region", "pool"};
    for (const std::size_t size : sizes) {
        const std::size_t count = std::max<std::size_t>(4, (mib_per_size << 20) / size);
        std::map<std::string, std::vector<double>> rates;
        for (std::size_t round = 0; round < rounds; ++round)
            for (const char* contender : contenders) {
                if (!only.empty() && only != contender)
                    continue;
                const double seconds = std::string(contender) == "memcpy" ? memcpy_floor(size, count)
                                                                          : run_pair(program, contender, size, count);
                rates[contender].push_back(static_cast<double>(size) * static_cast<double>(count) / 1048576.0 /
                                           seconds);
            }
        std::map<std::string, double> median;
        for (auto& [contender, values] : rates) {
            std::sort(values.begin(), values.end());
            median[contender] = values[values.size() / 2];
        }
        for (const char* contender : contenders)
            if (median.count(contender) != 0)
                std::printf("{\"contender\":\"%s\",\"size\":%zu,\"messages\":%zu,\"rounds\":%zu,\"mib_per_s\":%.1f}\n",
                            contender, size, count, rounds, median[contender]);
        const std::pair<const char*, const char*> ratios[] = {
            {"pool", "stream"}, {"pool", "raw-stream"}, {"pool", "memcpy"}, {"stream", "raw-stream"}};
        for (const auto& [over, under] : ratios)
            if (median.count(over) != 0 && median.count(under) != 0)
                std::printf("{\"ratio\":\"%s/%s\",\"size\":%zu,\"value\":%.3f}\n", over, under, size,
                            median[over] / median[under]);
        std::fflush(stdout);
    }
    return 0;
}
