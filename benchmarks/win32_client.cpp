// The hand-written Win32 client every server of the Windows async table is
// measured with (the async-* programs and localsock-sync), so that the table
// compares servers only; the Windows counterpart of posix_client.cpp.
// Blocking calls on one connection, except the fan-in: one thread driving
// `clients` overlapped connections through an I/O completion port, each with
// one round trip in flight at a time.
//
// The echo workloads send plain bytes (the localsock servers listen with
// handle_passing = false for them). The handle workloads send localsock's
// frames (docs/wire-format.md), the values pushed with DuplicateHandle into
// the server as raw_win32.cpp does; the ack comes back as a one-byte frame.
#include "harness.hpp"
#include "win32_io.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

namespace bench {

namespace {

using namespace win32;

Result pingpong_client(const Options& o) {
    const HANDLE pipe = connect_to(pipe_path(o.name));
    char message[pingpong_bytes] = {};
    Result r;
    r.latencies.resize(o.count);
    const auto start = Clock::now();
    for (std::uint64_t i = 0; i < o.count; ++i) {
        const auto t0 = Clock::now();
        write_all(pipe, message, sizeof message);
        read_exact(pipe, message, sizeof message);
        r.latencies[i] = seconds_since(t0);
    }
    r.seconds = seconds_since(start);
    r.operations = o.count;
    ::CloseHandle(pipe);
    return r;
}

Result handles_client(const Options& o) {
    const HANDLE pipe = connect_to(pipe_path(o.name));
    ULONG server_pid = 0;
    if (!::GetNamedPipeServerProcessId(pipe, &server_pid))
        fail("GetNamedPipeServerProcessId");
    const HANDLE server = ::OpenProcess(PROCESS_DUP_HANDLE, FALSE, server_pid);
    if (server == nullptr)
        fail("OpenProcess");
    std::vector<HANDLE> events;
    for (std::size_t h = 0; h < o.handles_per_message(); ++h)
        events.push_back(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
    const std::size_t values = frame_header_bytes; // then the payload, zeros
    std::vector<char> message(values + 8 * events.size() + handle_message_bytes);
    put_frame_header(message.data(), events.size(), handle_message_bytes);
    const auto start = Clock::now();
    for (std::uint64_t i = 0; i < o.count; ++i) {
        for (std::size_t h = 0; h < events.size(); ++h) {
            HANDLE remote = nullptr;
            if (!::DuplicateHandle(::GetCurrentProcess(), events[h], server, &remote, 0, FALSE, DUPLICATE_SAME_ACCESS))
                fail("DuplicateHandle");
            const auto value = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(remote));
            std::memcpy(message.data() + values + 8 * h, &value, 8);
        }
        write_all(pipe, message.data(), message.size());
    }
    char ack[frame_header_bytes + 1];
    read_exact(pipe, ack, sizeof ack);
    Result r;
    r.seconds = seconds_since(start);
    r.operations = o.count;
    if (!is_frame_header(ack, 0, 1) || ack[frame_header_bytes] != 'k')
        fail("not an ack");
    for (const HANDLE event : events)
        ::CloseHandle(event);
    ::CloseHandle(server);
    ::CloseHandle(pipe);
    return r;
}

// One fan-in connection: its round trip in flight, a write and a read of
// 64 bytes, both overlapped on the client's port.
struct Connection {
    HANDLE pipe = nullptr;
    OVERLAPPED write{};
    OVERLAPPED read{};
    bool writing = false;     // `write` is in flight
    bool write_due = false;   // the next request waits for `write` to be free
    std::size_t received = 0; // of the current echo
    std::uint64_t left = 0;   // round trips still to make
    char out[pingpong_bytes] = {};
    char in[pingpong_bytes] = {};
    bool done() const { return left == 0 && !writing; }
};

void start_write(Connection& c) {
    c.write = {};
    c.writing = true;
    if (!::WriteFile(c.pipe, c.out, sizeof c.out, nullptr, &c.write) && ::GetLastError() != ERROR_IO_PENDING)
        fail("WriteFile");
}

void start_read(Connection& c) {
    c.read = {};
    if (!::ReadFile(c.pipe, c.in + c.received, static_cast<DWORD>(sizeof c.in - c.received), nullptr, &c.read) &&
        ::GetLastError() != ERROR_IO_PENDING)
        fail("ReadFile");
}

// `each` round trips on every connection. Every completion, the writes' too,
// comes through the port; a request's echo can come before its write's
// completion, so the next write waits for it.
void round_trips(std::vector<Connection>& connections, HANDLE port, std::uint64_t each) {
    for (Connection& c : connections) {
        c.left = each;
        c.received = 0;
        start_read(c);
        start_write(c);
    }
    std::size_t busy = connections.size();
    OVERLAPPED_ENTRY entries[64];
    while (busy > 0) {
        ULONG ready = 0;
        if (!::GetQueuedCompletionStatusEx(port, entries, 64, &ready, INFINITE, FALSE))
            fail("GetQueuedCompletionStatusEx");
        for (ULONG k = 0; k < ready; ++k) {
            auto& c = *reinterpret_cast<Connection*>(entries[k].lpCompletionKey);
            if (entries[k].lpOverlapped->Internal != 0)
                fail("fan-in I/O failed");
            if (entries[k].lpOverlapped == &c.write) {
                if (entries[k].dwNumberOfBytesTransferred != sizeof c.out)
                    fail("short write");
                c.writing = false;
                if (c.write_due) {
                    c.write_due = false;
                    start_write(c);
                }
                busy -= c.done();
                continue;
            }
            c.received += entries[k].dwNumberOfBytesTransferred;
            if (c.received < sizeof c.in) {
                start_read(c); // the rest of the echo
                continue;
            }
            c.received = 0;
            if (--c.left == 0) {
                busy -= c.done();
                continue;
            }
            start_read(c);
            if (c.writing)
                c.write_due = true;
            else
                start_write(c);
        }
    }
}

// `count` round trips in all, `count / clients` on each connection, after
// one untimed round trip on each: it measures serving, not accepting.
Result fanin_client(const Options& o) {
    const std::wstring path = pipe_path(o.name);
    const HANDLE port = ::CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
    if (port == nullptr)
        fail("CreateIoCompletionPort");
    std::vector<Connection> connections(o.clients);
    for (Connection& c : connections) {
        c.pipe = connect_to(path, FILE_FLAG_OVERLAPPED);
        if (::CreateIoCompletionPort(c.pipe, port, reinterpret_cast<ULONG_PTR>(&c), 0) == nullptr)
            fail("CreateIoCompletionPort");
    }
    round_trips(connections, port, 1);
    const std::uint64_t each = std::max<std::uint64_t>(1, o.count / o.clients);
    const auto start = Clock::now();
    round_trips(connections, port, each);
    Result r;
    r.seconds = seconds_since(start);
    r.operations = each * connections.size();
    for (Connection& c : connections)
        ::CloseHandle(c.pipe);
    ::CloseHandle(port);
    return r;
}

} // namespace

Result run_client(const Options& o) {
    switch (o.workload) {
    case Workload::pingpong: return pingpong_client(o);
    case Workload::handles1:
    case Workload::handles64: return handles_client(o);
    case Workload::fanin: return fanin_client(o);
    default: fail(std::string("no async-table client for ") + workload_name(o.workload));
    }
}

} // namespace bench
