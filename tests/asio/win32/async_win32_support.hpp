// Async test support (Windows): what the completion-port tests share — a
// callback that records how an operation ended, and a pipe filled to exactly
// its buffer, so that the next write waits in the kernel with not a byte
// gone (what a cancellation, a close or a release must then undo).
#pragma once

#include "../async_support.hpp"

#include <localsock/asio.hpp>
#include <localsock/localsock.hpp>

#include <windows.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace testing::win32_async {

using namespace localsock;
using namespace std::chrono_literals;

// How one operation started with handler() ended: its error and its byte
// count (for the operations that have one).
struct Completion {
    std::optional<net_error_code> ec;
    std::size_t bytes = 0;

    auto handler() {
        return [this](net_error_code e, auto&&... value) {
            ec = e;
            (record(value), ...);
        };
    }
    bool done() const noexcept { return ec.has_value(); }

private:
    void record(std::size_t n) { bytes = n; }
    void record(const ReceiveResult& r) { bytes = r.bytes; }
    template <class Other>
    void record(const Other&) {}
};

// Bytes queued in a pipe for `reader`, and the size of its buffer.
inline DWORD bytes_queued(BorrowedHandle reader) {
    DWORD available = 0;
    REQUIRE(::PeekNamedPipe(reader.get(), nullptr, 0, nullptr, &available, nullptr));
    return available;
}
inline DWORD buffer_size(BorrowedHandle reader) {
    DWORD in_size = 0;
    REQUIRE(::GetNamedPipeInfo(reader.get(), nullptr, nullptr, &in_size, nullptr));
    return in_size;
}

// True when every write end of an anonymous pipe is closed; never waits
// (testing::pipe_at_end blocks while a writer lives).
inline bool writers_gone(BorrowedHandle read_end) {
    DWORD available = 0;
    return !::PeekNamedPipe(read_end.get(), nullptr, 0, nullptr, &available, nullptr) &&
           ::GetLastError() == ERROR_BROKEN_PIPE;
}

// The bytes a frame without handles adds to its payload (docs/wire-format.md).
inline constexpr DWORD frame_overhead = 16;

// What fill_pipe wrote: payload bytes, in how many frames.
struct Filled {
    std::size_t payload = 0;
    std::size_t frames = 0;
};

// Writes frames from `async` with `write(n, handler)` (n payload bytes, one
// frame, one WriteFile) until the pipe to `reader` holds exactly its
// buffer's worth. Each write completes (a write completes once what is
// queued, it included, fits the reader's buffer); the next one will wait.
template <class Write>
Filled fill_pipe(net::io_context& context, BorrowedHandle reader, Write write) {
    const DWORD capacity = buffer_size(reader);
    Filled filled;
    for (;;) {
        const DWORD queued = bytes_queued(reader);
        REQUIRE(queued <= capacity);
        const DWORD room = capacity - queued;
        if (room == 0)
            return filled;
        REQUIRE(room > frame_overhead);
        std::size_t n = std::min<std::size_t>(room - frame_overhead, 16384 - frame_overhead);
        const std::size_t left = room - frame_overhead - n;
        if (left > 0 && left <= frame_overhead)
            n -= frame_overhead + 1; // the last frame must carry a byte too
        Completion done;
        write(n, done.handler());
        REQUIRE_MESSAGE(run_until(context, [&] { return done.done(); }, 2s),
                        "a write into a pipe with room for it did not complete");
        REQUIRE_FALSE(done.ec.value());
        filled.payload += n;
        ++filled.frames;
    }
}

inline const std::string& filler() {
    static const std::string bytes(16384, 'f');
    return bytes;
}

// Fills the pipe from an async stream or seqpacket to its peer's end.
inline Filled fill_pipe(net::io_context& context, AsyncStream<>& async, native_handle_type reader) {
    return fill_pipe(context, BorrowedHandle(reader), [&](std::size_t n, auto handler) {
        async.async_write_some(net::buffer(filler().data(), n), std::move(handler));
    });
}
inline Filled fill_pipe(net::io_context& context, AsyncSeqpacket<>& async, native_handle_type reader) {
    return fill_pipe(context, BorrowedHandle(reader), [&](std::size_t n, auto handler) {
        async.async_send(net::buffer(filler().data(), n), std::move(handler));
    });
}

} // namespace testing::win32_async
