// shm_producer NAME [FRAMES]: waits for one shm_consumer on NAME and streams
// FRAMES generated images (default 600) to it through a buffer pool: each
// frame is rendered straight into shared memory, and only a 24-byte
// descriptor crosses the socket.
#include "shm_frames.hpp"

#include <localsock/localsock.hpp>

#include <chrono>
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: shm_producer NAME [FRAMES]\n");
        return 2;
    }
    try {
        const auto name = localsock::LocalSocketName::parse(argv[1]);
        const std::uint64_t frames = argc > 2 ? std::stoull(argv[2]) : 600;
        localsock::LocalSeqpacketListener listener = localsock::LocalSeqpacketListener::bind(name);
        std::printf("shm_producer: listening on %s\n", name.to_string().c_str());
        std::fflush(stdout);
        localsock::LocalSeqpacket channel = listener.accept();
        // Four slots: the producer renders one while the consumer checks another.
        localsock::BufferPoolProducer pool =
            localsock::BufferPoolProducer::create(channel, {shm_frames::frame_size, 4});
        const auto start = std::chrono::steady_clock::now();
        for (std::uint64_t number = 0; number < frames; ++number) {
            localsock::PoolSlot slot = pool.acquire(); // waits while all four are out
            shm_frames::render(number, slot.bytes());
            pool.submit(std::move(slot), shm_frames::frame_size);
        }
        pool.drain(); // every frame released before the channel closes
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("shm_producer: sent %llu frames of %zu bytes in %.2f s (%.0f frames/s)\n",
                    static_cast<unsigned long long>(frames), shm_frames::frame_size, seconds,
                    static_cast<double>(frames) / seconds);
        return 0;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "shm_producer: %s\n", error.what());
        return 1;
    }
}
