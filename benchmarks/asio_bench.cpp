// Contender "asio": asio::local::stream_protocol with Asio's blocking API.
// Asio has no descriptor passing: the handle workloads report unsupported.
#include "harness.hpp"

#include <asio.hpp>

#include <thread>

#include <unistd.h>

namespace bench {

const char* const contender_name = "asio";

bool supports(Workload workload) {
    return workload != Workload::handles1 && workload != Workload::handles64 && workload != Workload::seqpacket &&
           workload != Workload::fanin;
}

namespace {

using asio::local::stream_protocol;

stream_protocol::socket connect_to(asio::io_context& io, const stream_protocol::endpoint& endpoint) {
    for (int attempt = 0; attempt < 5000; ++attempt) {
        stream_protocol::socket socket(io);
        asio::error_code ec;
        socket.connect(endpoint, ec);
        if (!ec)
            return socket;
        std::this_thread::sleep_for(std::chrono::milliseconds(1)); // the server is starting
    }
    fail("connect");
}

} // namespace

void run_server(const Options& o) {
    asio::io_context io;
    ::unlink(o.name.c_str());
    stream_protocol::acceptor acceptor(io, stream_protocol::endpoint(o.name));
    if (o.workload == Workload::connect) {
        for (std::uint64_t i = 0; i < o.count; ++i) {
            stream_protocol::socket client(io);
            acceptor.accept(client);
        }
    } else {
        stream_protocol::socket client(io);
        acceptor.accept(client);
        std::vector<char> buffer(std::max(read_buffer_bytes, o.size));
        if (o.workload == Workload::throughput) {
            for (std::uint64_t total = 0; total < o.throughput_bytes();)
                total += client.read_some(asio::buffer(buffer));
            asio::write(client, asio::buffer("k", 1));
        } else {
            for (std::uint64_t i = 0; i < o.count; ++i) {
                asio::read(client, asio::buffer(buffer.data(), pingpong_bytes));
                asio::write(client, asio::buffer(buffer.data(), pingpong_bytes));
            }
        }
    }
    ::unlink(o.name.c_str());
}

Result run_client(const Options& o) {
    asio::io_context io;
    const stream_protocol::endpoint endpoint(o.name);
    Result r;
    if (o.workload == Workload::connect) {
        connect_to(io, endpoint); // the first cycle waits for the server; time the rest
        const auto start = Clock::now();
        char eof;
        for (std::uint64_t i = 1; i < o.count; ++i) {
            stream_protocol::socket socket(io);
            socket.connect(endpoint);
            asio::error_code ec;
            socket.read_some(asio::buffer(&eof, 1), ec);
            if (ec != asio::error::eof) // the server accepted and closed
                fail("expected end of stream");
        }
        r.seconds = seconds_since(start);
        r.operations = o.count - 1;
        return r;
    }
    stream_protocol::socket socket = connect_to(io, endpoint);
    char ack;
    if (o.workload == Workload::throughput) {
        const std::vector<char> chunk(o.size, 'x');
        const auto start = Clock::now();
        for (std::uint64_t sent = 0; sent < o.throughput_bytes(); sent += o.size)
            asio::write(socket, asio::buffer(chunk));
        asio::read(socket, asio::buffer(&ack, 1));
        r.seconds = seconds_since(start);
        r.operations = o.throughput_bytes();
    } else {
        char message[pingpong_bytes] = {};
        r.latencies.resize(o.count);
        const auto start = Clock::now();
        for (std::uint64_t i = 0; i < o.count; ++i) {
            const auto t0 = Clock::now();
            asio::write(socket, asio::buffer(message));
            asio::read(socket, asio::buffer(message));
            r.latencies[i] = seconds_since(t0);
        }
        r.seconds = seconds_since(start);
        r.operations = o.count;
    }
    return r;
}

} // namespace bench
