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

std::uint64_t consume(std::span<const std::byte> bytes) {
    std::uint64_t sum = 0;
    const std::size_t words = bytes.size() / 8;
    for (std::size_t i = 0; i < words; ++i) {
        std::uint64_t word;
        std::memcpy(&word, bytes.data() + i * 8, 8);
        sum += word;
    }
    return sum;
}

// Runs `producer` in a child process and `consumer` here; the seconds from
// the fork to the consumer's end.
double run_pair(const std::function<void()>& producer, const std::function<void()>& consumer) {
    const auto start = Clock::now();
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
    consumer();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
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
    const auto start = Clock::now();
    for (std::size_t i = 0; i < count; ++i) {
        from[i % size] = static_cast<std::byte>(i);
        std::memcpy(to.data(), from.data(), size);
        sink = sink + std::to_integer<std::uint64_t>(to[(i * 7) % size]);
    }
    return std::chrono::duration<double>(Clock::now() - start).count();
}

double raw_stream(std::size_t size, std::size_t count) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
        std::exit(1);
    const double seconds = run_pair(
        [&] {
            ::close(fds[1]);
            std::vector<std::byte> buffer(size);
            for (std::size_t m = 0; m < count; ++m) {
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
            for (std::size_t m = 0; m < count; ++m) {
                for (std::size_t done = 0; done < size;) {
                    const ssize_t n = ::read(fds[1], buffer.data() + done, size - done);
                    if (n <= 0)
                        std::exit(1);
                    done += static_cast<std::size_t>(n);
                }
                sink = sink + consume(buffer);
            }
        });
    ::close(fds[1]);
    return seconds;
}

double localsock_stream(std::size_t size, std::size_t count) {
    auto [producer_end, consumer_end] = LocalStream::pair();
    return run_pair(
        [&] {
            consumer_end.close();
            std::vector<std::byte> buffer(size);
            for (std::size_t m = 0; m < count; ++m) {
                produce(buffer, m);
                producer_end.write_all(localsock::buffer(buffer));
            }
        },
        [&] {
            producer_end.close();
            std::vector<std::byte> buffer(size);
            for (std::size_t m = 0; m < count; ++m) {
                consumer_end.read_exact(localsock::buffer(buffer));
                sink = sink + consume(buffer);
            }
        });
}

double fresh_region(std::size_t size, std::size_t count) {
    auto [producer_end, consumer_end] = LocalSeqpacket::pair();
    return run_pair(
        [&] {
            consumer_end.close();
            char ack = 0;
            for (std::size_t m = 0; m < count; ++m) {
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
            for (std::size_t m = 0; m < count; ++m) {
                handles.clear();
                (void)consumer_end.receive(MutableBuffer(&tag, 1), handles);
                const SharedMemory region = SharedMemory::adopt(std::move(handles.at(0)), {size, seals::immutable});
                sink = sink + consume(region.map(MapAccess::read_only).bytes());
                consumer_end.send("a");
            }
        });
}

double pool(std::size_t size, std::size_t count) {
    auto [producer_end, consumer_end] = LocalSeqpacket::pair();
    return run_pair(
        [&] {
            consumer_end.close();
            BufferPoolProducer producer = BufferPoolProducer::create(producer_end, {size, 4});
            for (std::size_t m = 0; m < count; ++m) {
                PoolSlot slot = producer.acquire();
                produce(slot.bytes(), m);
                producer.submit(std::move(slot), size);
            }
            producer.drain();
        },
        [&] {
            producer_end.close();
            BufferPoolConsumer consumer = BufferPoolConsumer::accept(consumer_end);
            for (std::size_t m = 0; m < count; ++m) {
                PoolFrame frame = consumer.receive();
                sink = sink + consume(frame.bytes());
                consumer.release(std::move(frame));
            }
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
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--quick")
            mib_per_size = 16;
        else if (arg == "--sizes" && i + 1 < argc)
            sizes = parse_sizes(argv[++i]);
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
            const double seconds = run(size, count);
            std::printf("{\"contender\":\"%s\",\"size\":%zu,\"messages\":%zu,\"mib_per_s\":%.1f}\n", name, size, count,
                        static_cast<double>(size) * static_cast<double>(count) / 1048576.0 / seconds);
            std::fflush(stdout);
        }
    }
    return 0;
}
