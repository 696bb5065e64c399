// Thread tests (every OS; run under ThreadSanitizer by ./dev test): what the
// headers allow — one thread reading while another writes on the same
// socket, and a listener accepting in one thread while others connect.
#include <doctest/doctest.h>

#include "support/resources.hpp"
#include "support/thread.hpp"

#include <localsock/localsock.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <exception>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

using namespace localsock;

namespace {

constexpr std::size_t stream_bytes = std::size_t{4} << 20; // per direction
constexpr std::size_t chunk_sizes[] = {1, 100, 4096, 65536, 7001, 33, 20000};

// A thread body that records an exception instead of ending the process.
struct Failures {
    std::atomic<int> count{0};
    template <class Body>
    auto guard(Body body) {
        return [this, body]() mutable {
            try {
                body();
            } catch (const std::exception& e) {
                MESSAGE(e.what());
                ++count;
            }
        };
    }
};

// Nothing waits for ever if one side fails.
template <class Socket>
void bounded(Socket& socket) {
    socket.set_read_timeout(std::chrono::seconds(30));
    socket.set_write_timeout(std::chrono::seconds(30));
}

std::byte pattern(std::size_t offset, int direction) noexcept {
    return static_cast<std::byte>((offset * 131 + static_cast<std::size_t>(direction) * 7) & 0xFF);
}

struct Tally {
    std::size_t bytes = 0;
    std::size_t handles = 0;
    bool intact = true;
};

// Writes stream_bytes of the pattern in chunks of several sizes; every
// fourth chunk carries `file`. Returns how many handles went out.
std::size_t write_pattern(LocalStream& out, BorrowedHandle file, int direction) {
    std::vector<std::byte> chunk;
    std::size_t sent = 0, handles = 0;
    for (std::size_t i = 0; sent < stream_bytes; ++i) {
        const std::size_t size = std::min(chunk_sizes[i % std::size(chunk_sizes)], stream_bytes - sent);
        chunk.resize(size);
        for (std::size_t k = 0; k < size; ++k)
            chunk[k] = pattern(sent + k, direction);
        if (i % 4 == 0) {
            out.send(buffer(chunk), {file}); // all of it, or it throws
            ++handles;
        } else {
            out.write_all(buffer(chunk));
        }
        sent += size;
    }
    return handles;
}

// Reads stream_bytes, checking the pattern, collecting and checking the handles.
Tally read_pattern(LocalStream& in, int direction) {
    Tally tally;
    std::vector<std::byte> data(70000);
    std::vector<OwnedHandle> handles;
    while (tally.bytes < stream_bytes) {
        const std::size_t n = in.receive(buffer(data), handles);
        if (n == 0) { // early end of stream
            tally.intact = false;
            break;
        }
        for (std::size_t k = 0; k < n; ++k)
            if (data[k] != pattern(tally.bytes + k, direction))
                tally.intact = false;
        tally.bytes += n;
        for (OwnedHandle& h : handles)
            if (testing::read_whole_file(h.borrow()) != "passed between threads")
                tally.intact = false;
        tally.handles += handles.size();
        handles.clear();
    }
    return tally;
}

} // namespace

TEST_SUITE("threads") {

TEST_CASE("threads: a stream reads in one thread while another writes, both ways, with handles") {
    const testing::HandleLeakCheck leaks;
    const OwnedHandle file = testing::file_with("passed between threads");
    auto [a, b] = LocalStream::pair();
    bounded(a);
    bounded(b);
    std::size_t sent_ab = 0, sent_ba = 0;
    Tally got_ab, got_ba;
    Failures failures;
    {
        testing::Thread a_writer(failures.guard([&] { sent_ab = write_pattern(a, file.borrow(), 1); }));
        testing::Thread b_writer(failures.guard([&] { sent_ba = write_pattern(b, file.borrow(), 2); }));
        testing::Thread a_reader(failures.guard([&] { got_ba = read_pattern(a, 2); }));
        failures.guard([&] { got_ab = read_pattern(b, 1); })(); // b's reader is this thread
    }
    CHECK(failures.count == 0);
    CHECK(got_ab.bytes == stream_bytes);
    CHECK(got_ba.bytes == stream_bytes);
    CHECK(got_ab.intact);
    CHECK(got_ba.intact);
    CHECK(got_ab.handles == sent_ab);
    CHECK(got_ba.handles == sent_ba);
    CHECK(sent_ab > 0);
}

TEST_CASE("threads: a seqpacket connection receives in one thread while another sends, both ways") {
    const testing::HandleLeakCheck leaks;
    const OwnedHandle file = testing::file_with("passed between threads");
    const LocalSocketName name = testing::unique_namespaced_name("threads-seq");
    LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name);
    LocalSeqpacket a = LocalSeqpacket::connect(name);
    LocalSeqpacket b = listener.accept();
    bounded(a);
    bounded(b);
    constexpr std::uint32_t messages = 3000;

    const auto send_all = [&](LocalSeqpacket& out) {
        std::vector<std::byte> message;
        for (std::uint32_t i = 0; i < messages; ++i) {
            message.assign(4 + (i * 37) % 8000, static_cast<std::byte>(i & 0xFF));
            std::memcpy(message.data(), &i, 4);
            if (i % 10 == 0)
                out.send(buffer(message), {file.borrow()});
            else
                out.send(buffer(message));
        }
    };
    const auto receive_all = [&](LocalSeqpacket& in, bool& intact, std::size_t& handle_count) {
        std::vector<std::byte> data(9000);
        std::vector<OwnedHandle> handles;
        for (std::uint32_t i = 0; i < messages; ++i) {
            const ReceiveResult r = in.receive(buffer(data), handles);
            std::uint32_t seq = 0;
            std::memcpy(&seq, data.data(), 4);
            if (seq != i || r.bytes != 4 + (i * 37) % 8000 || r.data_truncated ||
                (r.bytes > 4 && data[r.bytes - 1] != static_cast<std::byte>(i & 0xFF)))
                intact = false;
            if (handles.size() != (i % 10 == 0 ? 1u : 0u))
                intact = false;
            handle_count += handles.size();
            handles.clear();
        }
    };
    bool a_intact = true, b_intact = true;
    std::size_t a_handles = 0, b_handles = 0;
    Failures failures;
    {
        testing::Thread a_sender(failures.guard([&] { send_all(a); }));
        testing::Thread b_sender(failures.guard([&] { send_all(b); }));
        testing::Thread a_receiver(failures.guard([&] { receive_all(a, a_intact, a_handles); }));
        failures.guard([&] { receive_all(b, b_intact, b_handles); })();
    }
    CHECK(failures.count == 0);
    CHECK(a_intact);
    CHECK(b_intact);
    CHECK(a_handles == messages / 10);
    CHECK(b_handles == messages / 10);
}

TEST_CASE("threads: a listener accepts in one thread while another connects") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("threads-accept");
    LocalListener listener = LocalListener::bind(name);
    constexpr int clients = 20;
    int accepted = 0;
    std::string order;
    Failures failures;
    {
        testing::Thread acceptor(failures.guard([&] {
            for (int i = 0; i < clients; ++i) {
                LocalStream client = listener.accept();
                bounded(client);
                char tag = 0;
                client.read_exact(MutableBuffer(&tag, 1));
                order += tag;
                client.write_all("k");
                ++accepted;
            }
        }));
        for (int i = 0; i < clients; ++i) {
            LocalStream stream = LocalStream::connect(name);
            bounded(stream);
            const char tag = static_cast<char>('A' + i);
            stream.write_all(ConstBuffer(&tag, 1));
            char reply = 0;
            stream.read_exact(MutableBuffer(&reply, 1));
            CHECK(reply == 'k');
        }
    }
    CHECK(failures.count == 0);
    CHECK(accepted == clients);
    CHECK(order == "ABCDEFGHIJKLMNOPQRST");
}

} // TEST_SUITE
