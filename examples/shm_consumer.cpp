// shm_consumer NAME: connects to shm_producer, checks every frame it sends
// (every pixel, in place in shared memory), releases each, and says how
// many arrived intact.
#include "shm_frames.hpp"

#include <localsock/localsock.hpp>

#include <cstdio>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: shm_consumer NAME\n");
        return 2;
    }
    try {
        localsock::LocalSeqpacket channel = localsock::LocalSeqpacket::connect(localsock::LocalSocketName::parse(argv[1]));
        // Refused unless the region is sealed so that only the producer writes it.
        localsock::BufferPoolConsumer pool = localsock::BufferPoolConsumer::accept(channel);
        std::uint64_t received = 0, damaged = 0;
        for (localsock::PoolFrame frame = pool.receive(); frame.valid(); frame = pool.receive()) {
            damaged += !shm_frames::intact(received, frame.bytes());
            ++received;
            pool.release(std::move(frame));
        }
        std::printf("shm_consumer: %llu frames received, %llu damaged\n", static_cast<unsigned long long>(received),
                    static_cast<unsigned long long>(damaged));
        return damaged == 0 && received > 0 ? 0 : 1;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "shm_consumer: %s\n", error.what());
        return 1;
    }
}
