// lsock: standard input, read ahead by a thread of its own into two
// buffers, handed to whichever connection is being served.
//
// Why a thread: nothing portable waits for stdin and a socket at once
// (Windows cannot wait on a console or an anonymous pipe). The thread only
// reads stdin; the bytes are sent by the session's writer, straight from
// the buffer the thread read them into (no copy), and marked consumed only
// once sent, so a connection that ends leaves the rest for the next one.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <span>
#include <stop_token>
#include <system_error>
#include <vector>

namespace lsock {

// Threads: its own reads stdin; one consumer (wait, consume) at a time.
class InputFeed {
public:
    // Stdin's feed, started on first use. Its thread may stay blocked in a
    // read of stdin until the process ends, so it is never destroyed.
    static InputFeed& standard_input();

    struct Chunk {
        std::span<const std::byte> bytes; // not yet consumed
        bool end = false;                 // stdin ended (or failed: error)
        std::error_code error;
    };
    // Waits for input. False if `stop` was requested first.
    bool wait(std::stop_token stop, Chunk& chunk);
    // `count` bytes of the chunk wait() returned were sent.
    void consume(std::size_t count);

    static constexpr std::size_t chunk_size = 64 * 1024;

private:
    InputFeed();
    void read_loop();

    struct Slot {
        std::vector<std::byte> data = std::vector<std::byte>(chunk_size);
        std::size_t size = 0;
        std::size_t consumed = 0;
        bool full = false;
    };
    std::mutex mutex_;
    std::condition_variable_any changed_;
    Slot slots_[2];
    std::size_t read_slot_ = 0; // the consumer's
    bool end_ = false;
    std::error_code error_;
};

} // namespace lsock
