// Bulk transfer between two processes (issue 14): each message fully
// written by the producer (memset) and fully read by the consumer (a sum of
// its 64-bit words), through
//   raw-stream     socketpair, write / read (the hand-written floor of copying)
//   stream         LocalStream::pair, write_all / read_exact
//   fresh-region   a new sealed SharedMemory per message, its handle sent,
//                  adopted and mapped by the consumer (one ack per message)
//   pool           BufferPoolProducer / Consumer, 4 slots of the message size
// and, in one process, memcpy of the same size (the floor the issue sets).
//
//   bulk_bench [--quick] [--sizes 65536,1048576,16777216] [--mib-per-size 1024]
//
// One JSON line per contender and size: {"contender", "size", "mib_per_s"}.
// POSIX: the producer is a fork()ed child.
#include <localsock/localsock.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace localsock;
using Clock = std::chrono::steady_clock;

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

// Runs `producer` in a child process and `consumer` (which returns its timed
// seconds) here.
double run_pair(const std::function<void()>& producer, const std::function<double()>& consumer) {
    const pid_t child = ::fork();
    if (child < 0) {
        std::perror("fork");
        std::exit(1);
    }
    if (child == 0) {
        producer();
        std::fflush(stdout);
        ::_exit(0);
    }
    const double seconds = consumer();
    int status = 0;
    ::waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "producer failed\n");
        std::exit(1);
    }
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

double raw_stream(std::size_t size, std::size_t count) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
        std::exit(1);
    const std::size_t total = warm_up_messages(count) + count;
    const double seconds = run_pair(
        [&] {
            ::close(fds[1]);
            std::vector<std::byte> buffer(size);
            for (std::size_t m = 0; m < total; ++m) {
                produce(buffer, m);
                for (std::size_t done = 0; done < size;) {
                    const ssize_t n = ::write(fds[0], buffer.data() + done, size - done);
                    if (n <= 0)
                        ::_exit(1);
                    done += static_cast<std::size_t>(n);
                }
            }
        },
        [&] {
            ::close(fds[0]);
            std::vector<std::byte> buffer(size);
            SteadyTimer timer(warm_up_messages(count));
            for (std::size_t m = 0; m < total; ++m) {
                for (std::size_t done = 0; done < size;) {
                    const ssize_t n = ::read(fds[1], buffer.data() + done, size - done);
                    if (n <= 0)
                        std::exit(1);
                    done += static_cast<std::size_t>(n);
                }
                sink = sink + consume(buffer);
                timer.message_done(m);
            }
            return timer.seconds();
        });
    ::close(fds[1]);
    return seconds;
}

double localsock_stream(std::size_t size, std::size_t count) {
    auto [producer_end, consumer_end] = LocalStream::pair();
    const std::size_t total = warm_up_messages(count) + count;
    return run_pair(
        [&] {
            consumer_end.close();
            std::vector<std::byte> buffer(size);
            for (std::size_t m = 0; m < total; ++m) {
                produce(buffer, m);
                producer_end.write_all(localsock::buffer(buffer));
            }
        },
        [&] {
            producer_end.close();
            std::vector<std::byte> buffer(size);
            SteadyTimer timer(warm_up_messages(count));
            for (std::size_t m = 0; m < total; ++m) {
                consumer_end.read_exact(localsock::buffer(buffer));
                sink = sink + consume(buffer);
                timer.message_done(m);
            }
            return timer.seconds();
        });
}

double fresh_region(std::size_t size, std::size_t count) {
    auto [producer_end, consumer_end] = LocalSeqpacket::pair();
    const std::size_t total = warm_up_messages(count) + count;
    return run_pair(
        [&] {
            consumer_end.close();
            char ack = 0;
            for (std::size_t m = 0; m < total; ++m) {
                SharedMemory memory = SharedMemory::create(size, "bulk");
                {
                    const SharedMapping view = memory.map(MapAccess::read_write);
                    produce(view.writable(), m);
                }
                memory.seal(seals::immutable);
                producer_end.send("r", {memory.handle()});
                (void)producer_end.receive(MutableBuffer(&ack, 1));
            }
        },
        [&] {
            producer_end.close();
            std::vector<OwnedHandle> handles;
            char tag = 0;
            SteadyTimer timer(warm_up_messages(count));
            for (std::size_t m = 0; m < total; ++m) {
                handles.clear();
                (void)consumer_end.receive(MutableBuffer(&tag, 1), handles);
                const SharedMemory region = SharedMemory::adopt(std::move(handles.at(0)), {size, seals::immutable});
                sink = sink + consume(region.map(MapAccess::read_only).bytes());
                consumer_end.send("a");
                timer.message_done(m);
            }
            return timer.seconds();
        });
}

std::size_t pool_slots = 4;

double pool(std::size_t size, std::size_t count) {
    auto [producer_end, consumer_end] = LocalSeqpacket::pair();
    const std::size_t total = warm_up_messages(count) + count;
    return run_pair(
        [&] {
            consumer_end.close();
            BufferPoolProducer producer = BufferPoolProducer::create(producer_end, {size, pool_slots});
            for (std::size_t m = 0; m < total; ++m) {
                PoolSlot slot = producer.acquire();
                produce(slot.bytes(), m);
                producer.submit(std::move(slot), size);
            }
            producer.drain();
        },
        [&] {
            producer_end.close();
            BufferPoolConsumer consumer = BufferPoolConsumer::accept(consumer_end);
            SteadyTimer timer(warm_up_messages(count));
            for (std::size_t m = 0; m < total; ++m) {
                PoolFrame frame = consumer.receive();
                sink = sink + consume(frame.bytes());
                consumer.release(std::move(frame));
                timer.message_done(m);
            }
            return timer.seconds();
        });
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
    std::vector<std::size_t> sizes = {64 * 1024, 1024 * 1024, 16 * 1024 * 1024};
    std::size_t mib_per_size = 1024;
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
        else if (arg == "--mib-per-size" && i + 1 < argc)
            mib_per_size = std::strtoull(argv[++i], nullptr, 10);
    }
    const std::pair<const char*, double (*)(std::size_t, std::size_t)> contenders[] = {
        {"memcpy", memcpy_floor}, {"raw-stream", raw_stream}, {"stream", localsock_stream},
        {"fresh-region", fresh_region}, {"pool", pool},
    };
    for (const std::size_t size : sizes) {
        const std::size_t count = std::max<std::size_t>(4, (mib_per_size << 20) / size);
        for (const auto& [name, run] : contenders) {
            if (!only.empty() && only != name)
                continue;
            const double seconds = run(size, count);
            std::printf("{\"contender\":\"%s\",\"size\":%zu,\"messages\":%zu,\"mib_per_s\":%.1f}\n", name, size, count,
                        static_cast<double>(size) * static_cast<double>(count) / 1048576.0 / seconds);
            std::fflush(stdout);
        }
    }
    return 0;
}
