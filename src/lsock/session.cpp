#include "session.hpp"

#include "input_feed.hpp"
#include "system.hpp"

#include <localsock/error.hpp>

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace lsock {

using localsock::BorrowedHandle;
using localsock::OwnedHandle;

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto linger = std::chrono::milliseconds(500);

void report_error(std::error_code ec, std::string_view operation, const Connection& connection) {
    const std::string name = connection.name();
    report(name.empty() ? fmt::format("{}: {}", operation, localsock::error_message(ec))
                        : fmt::format("{} '{}': {}", operation, name, localsock::error_message(ec)));
}

// Stdin to the connection until stdin ends, the session stops it, or an
// error. Returns false after reporting an error.
bool forward_input(std::stop_token stop, Connection& connection, std::span<const BorrowedHandle> outgoing) {
    InputFeed& input = InputFeed::standard_input();
    bool handles_pending = !outgoing.empty();
    std::error_code ec;
    for (;;) {
        InputFeed::Chunk chunk;
        if (!input.wait(stop, chunk))
            return true;
        if (chunk.end) {
            if (chunk.error) {
                report(fmt::format("read stdin: {}", localsock::error_message(chunk.error)));
                return false;
            }
            if (handles_pending) {
                // Handles need a byte to ride on.
                const std::byte zero{0};
                connection.send(std::span(&zero, 1), outgoing, ec);
                if (ec) {
                    report_error(ec, "send", connection);
                    return false;
                }
            }
            connection.shutdown_write(ec);
            // A peer that already left makes this fail: nothing to report.
            return true;
        }
        // A datagram listener answers the last sender: wait for one.
        while (!connection.has_reply_address()) {
            if (stop.stop_requested())
                return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        const std::size_t sent =
            connection.send(chunk.bytes, handles_pending ? outgoing : std::span<const BorrowedHandle>{}, ec);
        if (sent != 0)
            handles_pending = false;
        input.consume(sent);
        if (ec) {
            report_error(ec, "send", connection);
            return false;
        }
    }
}

} // namespace

bool run_session(Connection& connection, std::span<const BorrowedHandle> outgoing, ReceivedHandles& received) {
    const bool datagram = connection.type() == SocketType::datagram;
    const bool datagram_client = datagram && connection.datagram()->peer_name().empty() == false;
    // A datagram socket has no end of stream: a client stops when stdin is
    // done and the answers have stopped coming.
    if (datagram_client)
        connection.datagram()->set_read_timeout(std::chrono::milliseconds(100));

    std::atomic<bool> input_done{false};
    std::atomic<bool> input_ok{true};
    std::mutex done_mutex;
    std::condition_variable done_changed;
    std::jthread writer([&](std::stop_token stop) {
        input_ok = forward_input(stop, connection, outgoing);
        const std::lock_guard lock(done_mutex);
        input_done = true;
        done_changed.notify_all();
    });

    // Messages up to 1 MiB (a seqpacket message or datagram longer than
    // the buffer is an error, message_size); a stream reads in 64 KiB steps.
    std::vector<std::byte> buffer(connection.type() == SocketType::stream ? 64 * 1024 : 1024 * 1024);
    std::vector<OwnedHandle> handles;
    bool ok = true;
    Clock::time_point last_datagram = Clock::now();
    for (;;) {
        std::error_code ec;
        const Connection::Received got = connection.receive(buffer, handles, ec);
        if (!handles.empty())
            received.take(handles);
        if (ec == std::errc::timed_out && datagram_client) {
            if (input_done && Clock::now() - last_datagram > std::chrono::milliseconds(500))
                break;
            continue;
        }
        if (ec) {
            report_error(ec, "receive from", connection);
            ok = false;
            break;
        }
        if (got.end)
            break;
        last_datagram = Clock::now();
        write_stdout(std::span(buffer).first(got.bytes), ec);
        if (ec) {
            report(fmt::format("write stdout: {}", localsock::error_message(ec)));
            ok = false;
            break;
        }
    }
    // The peer is done sending. As socat does, give stdin a moment to
    // finish (input already read, or arriving now, still goes out: a peer
    // that only shut down its writing side may be reading), then stop.
    {
        std::unique_lock lock(done_mutex);
        done_changed.wait_for(lock, linger, [&] { return input_done.load(); });
    }
    writer.request_stop();
    writer.join();
    return ok && input_ok && !received.failed();
}

} // namespace lsock
