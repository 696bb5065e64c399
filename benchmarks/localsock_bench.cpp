// Contender "localsock": the same workloads through the library.
#include "harness.hpp"
#include "platform.hpp"

#include <localsock/localsock.hpp>

#include <thread>

namespace bench {

// Built twice on Windows: framed (the default, handles can travel) and, as
// "localsock-plain", with handle_passing = false, to show the framing's cost.
#if defined(LOCALSOCK_BENCH_PLAIN)
const char* const contender_name = "localsock-plain";
constexpr bool handle_passing = false;
bool supports(Workload workload) {
    return workload != Workload::handles1 && workload != Workload::handles64 && workload != Workload::seqpacket &&
           workload != Workload::fanin;
}
#else
const char* const contender_name = "localsock";
constexpr bool handle_passing = true;
bool supports(Workload workload) { return workload != Workload::fanin; } // one client at a time
#endif

namespace {

using namespace localsock;

LocalSocketName name_of(const Options& o) { return LocalSocketName::parse(o.name); }

// A LocalStream or a LocalSeqpacket.
template <class Socket>
Socket connect_to(const LocalSocketName& name) {
    std::error_code ec;
    for (int attempt = 0; attempt < 5000; ++attempt) {
        Socket socket = Socket::connect(name, {.handle_passing = handle_passing}, ec);
        if (!ec)
            return socket;
        std::this_thread::sleep_for(std::chrono::milliseconds(1)); // the server is starting
    }
    throw std::system_error(ec, "connect " + name.to_string());
}

void seqpacket_server(const Options& o) {
    LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name_of(o), {.reclaim_stale = true});
    LocalSeqpacket client = listener.accept();
    char data[pingpong_bytes];
    std::vector<OwnedHandle> received;
    received.reserve(1);
    for (std::uint64_t i = 0; i < o.count; ++i) {
        if (client.receive(buffer(data), received).bytes != sizeof data || received.size() != 1)
            fail("receive");
        received.clear(); // closes the handle
        client.send(buffer(data));
    }
}

Result seqpacket_client(const Options& o) {
    LocalSeqpacket socket = connect_to<LocalSeqpacket>(name_of(o));
    const std::vector<OwnedHandle> handle = handles_to_send(1);
    char message[pingpong_bytes] = {};
    Result r;
    r.latencies.resize(o.count);
    const auto start = Clock::now();
    for (std::uint64_t i = 0; i < o.count; ++i) {
        const auto t0 = Clock::now();
        socket.send(buffer(message), handle);
        if (socket.receive(buffer(message)).bytes != sizeof message)
            fail("receive");
        r.latencies[i] = seconds_since(t0);
    }
    r.seconds = seconds_since(start);
    r.operations = o.count;
    return r;
}

} // namespace

void run_server(const Options& o) {
    if (o.workload == Workload::seqpacket)
        return seqpacket_server(o);
    LocalListener listener = LocalListener::bind(name_of(o), {.reclaim_stale = true, .handle_passing = handle_passing});
    if (o.workload == Workload::connect) {
        for (std::uint64_t i = 0; i < o.count; ++i)
            (void)listener.accept();
        return;
    }
    LocalStream client = listener.accept();
    std::vector<std::byte> buffer(std::max(read_buffer_bytes, o.size));
    switch (o.workload) {
    case Workload::throughput:
        for (std::uint64_t total = 0; total < o.throughput_bytes();) {
            const std::size_t n = client.read_some(localsock::buffer(buffer));
            if (n == 0)
                fail("end of stream");
            total += n;
        }
        client.write_all("k");
        break;
    case Workload::pingpong:
        for (std::uint64_t i = 0; i < o.count; ++i) {
            client.read_exact(MutableBuffer(buffer.data(), pingpong_bytes));
            client.write_all(ConstBuffer(buffer.data(), pingpong_bytes));
        }
        break;
    case Workload::handles1:
    case Workload::handles64: {
        std::vector<OwnedHandle> received;
        received.reserve(64);
        for (std::uint64_t i = 0; i < o.count; ++i) {
            if (client.receive(MutableBuffer(buffer.data(), handle_message_bytes), received) != handle_message_bytes ||
                received.size() != o.handles_per_message())
                fail("receive");
            received.clear(); // closes every handle
        }
        client.write_all("k");
        break;
    }
    case Workload::connect:
    case Workload::seqpacket:
    case Workload::fanin: break;
    }
}

Result run_client(const Options& o) {
    if (o.workload == Workload::seqpacket)
        return seqpacket_client(o);
    Result r;
    const LocalSocketName name = name_of(o);
    if (o.workload == Workload::connect) {
        (void)connect_to<LocalStream>(name); // the first cycle waits for the server; time the rest
        const auto start = Clock::now();
        std::byte eof;
        for (std::uint64_t i = 1; i < o.count; ++i) {
            LocalStream stream = LocalStream::connect(name, {.handle_passing = handle_passing});
            if (stream.read_some(MutableBuffer(&eof, 1)) != 0) // the server accepted and closed
                fail("expected end of stream");
        }
        r.seconds = seconds_since(start);
        r.operations = o.count - 1;
        return r;
    }
    LocalStream stream = connect_to<LocalStream>(name);
    char ack;
    switch (o.workload) {
    case Workload::throughput: {
        const std::vector<char> chunk(o.size, 'x');
        const auto start = Clock::now();
        for (std::uint64_t sent = 0; sent < o.throughput_bytes(); sent += o.size)
            stream.write_all(buffer(chunk));
        stream.read_exact(MutableBuffer(&ack, 1));
        r.seconds = seconds_since(start);
        r.operations = o.throughput_bytes();
        break;
    }
    case Workload::pingpong: {
        char message[pingpong_bytes] = {};
        r.latencies.resize(o.count);
        const auto start = Clock::now();
        for (std::uint64_t i = 0; i < o.count; ++i) {
            const auto t0 = Clock::now();
            stream.write_all(ConstBuffer(message, sizeof message));
            stream.read_exact(MutableBuffer(message, sizeof message));
            r.latencies[i] = seconds_since(t0);
        }
        r.seconds = seconds_since(start);
        r.operations = o.count;
        break;
    }
    case Workload::handles1:
    case Workload::handles64: {
        const std::vector<OwnedHandle> handles = handles_to_send(o.handles_per_message());
        char message[handle_message_bytes] = {};
        const auto start = Clock::now();
        for (std::uint64_t i = 0; i < o.count; ++i)
            stream.send(ConstBuffer(message, sizeof message), handles);
        stream.read_exact(MutableBuffer(&ack, 1));
        r.seconds = seconds_since(start);
        r.operations = o.count;
        break;
    }
    case Workload::connect:
    case Workload::seqpacket:
    case Workload::fanin: break;
    }
    return r;
}

} // namespace bench
