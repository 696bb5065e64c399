// Benchmark harness shared by every contender: the command-line contract,
// the workloads' shape, timing and the one-JSON-line output.
//
//   <contender> server <workload> <name> [--size N] [--count N] [--clients N]
//   <contender> client <workload> <name> [--size N] [--count N] [--clients N]
//
// The runner starts the server, then the client; the client retries its
// connect until the server is up, measures, and prints one JSON line.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

enum class Workload {
    throughput, // client writes `count` bytes in writes of `size` bytes; server reads, acks
    pingpong,   // `count` round trips of 64 bytes
    handles1,   // `count` messages of 8 bytes + 1 handle; the receiver closes each handle
    handles64,  // `count` messages of 8 bytes + 64 handles
    connect,    // `count` connect / accept / close cycles on a filesystem name
    seqpacket,  // `count` round trips on SOCK_SEQPACKET: 64 bytes + 1 handle out, 64 bytes back (POSIX floor only)
    fanin,      // `clients` connections doing 64-byte round trips at once, `count` in all, against one server thread
};

inline constexpr std::size_t pingpong_bytes = 64;
inline constexpr std::size_t handle_message_bytes = 8;
inline constexpr std::size_t read_buffer_bytes = 64 * 1024;
// The async servers echo what they read: each connection has a buffer this size.
inline constexpr std::size_t echo_buffer_bytes = 4096;

struct Options {
    bool server = false;
    Workload workload = Workload::throughput;
    std::string name;        // a socket path (or pipe name on Windows)
    std::size_t size = 65536;
    std::uint64_t count = 0; // bytes for throughput, operations otherwise
    std::size_t clients = 1; // concurrent connections (fanin)
    std::size_t handles_per_message() const { return workload == Workload::handles64 ? 64 : 1; }
    // Throughput: `count` rounded up to whole writes, so both ends agree.
    std::uint64_t throughput_bytes() const { return (count + size - 1) / size * size; }
};

// What a client measured.
struct Result {
    double seconds = 0;
    std::uint64_t operations = 0;   // bytes for throughput
    std::vector<double> latencies;  // per round trip, seconds (pingpong)
};

// Each contender program defines these three.
extern const char* const contender_name;
bool supports(Workload workload);
void run_server(const Options& options);
Result run_client(const Options& options);

using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

const char* workload_name(Workload workload);
[[noreturn]] void fail(const std::string& what);

} // namespace bench
