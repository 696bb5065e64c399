// Contender "win32raw": hand-written Win32 named-pipe code, the floor for the
// Wine runs: CreateNamedPipe/ConnectNamedPipe/CreateFile with synchronous
// ReadFile/WriteFile; handles duplicated into the peer with DuplicateHandle
// and their values sent in-band after the 8 message bytes.
#include "harness.hpp"
#include "win32_io.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace bench {

const char* const contender_name = "win32raw";

// No hand-written message-mode floor for the seqpacket workload (yet), so
// run.py leaves that workload out under Wine.
bool supports(Workload workload) { return workload != Workload::seqpacket && workload != Workload::fanin; }

namespace {

using namespace win32;

// ERROR_PIPE_CONNECTED: the client came first; ERROR_NO_DATA: it came and
// already left (a whole connect/close cycle).
void accept_on(HANDLE pipe) {
    if (!::ConnectNamedPipe(pipe, nullptr) && ::GetLastError() != ERROR_PIPE_CONNECTED &&
        ::GetLastError() != ERROR_NO_DATA)
        fail("ConnectNamedPipe");
}

} // namespace

void run_server(const Options& o) {
    const std::wstring path = pipe_path(o.name);
    if (o.workload == Workload::connect) {
        HANDLE instance = create_instance(path);
        for (std::uint64_t i = 0; i < o.count; ++i) {
            accept_on(instance);
            const HANDLE next = create_instance(path); // keep the name alive between clients
            ::CloseHandle(instance);
            instance = next;
        }
        ::CloseHandle(instance);
        return;
    }
    const HANDLE client = create_instance(path);
    accept_on(client);
    std::vector<char> buffer(std::max(read_buffer_bytes, o.size));
    switch (o.workload) {
    case Workload::throughput:
        for (std::uint64_t total = 0; total < o.throughput_bytes();) {
            DWORD n = 0;
            if (!::ReadFile(client, buffer.data(), static_cast<DWORD>(buffer.size()), &n, nullptr))
                fail("ReadFile");
            total += n;
        }
        write_all(client, "k", 1);
        break;
    case Workload::pingpong:
        for (std::uint64_t i = 0; i < o.count; ++i) {
            read_exact(client, buffer.data(), pingpong_bytes);
            write_all(client, buffer.data(), pingpong_bytes);
        }
        break;
    case Workload::handles1:
    case Workload::handles64: {
        const std::size_t message = handle_message_bytes + 8 * o.handles_per_message();
        for (std::uint64_t i = 0; i < o.count; ++i) {
            read_exact(client, buffer.data(), message);
            for (std::size_t h = 0; h < o.handles_per_message(); ++h) {
                std::uint64_t value;
                std::memcpy(&value, buffer.data() + handle_message_bytes + 8 * h, 8);
                ::CloseHandle(reinterpret_cast<HANDLE>(static_cast<std::uintptr_t>(value)));
            }
        }
        write_all(client, "k", 1);
        break;
    }
    case Workload::connect:
    case Workload::seqpacket:
    case Workload::fanin: break;
    }
    ::FlushFileBuffers(client);
    ::CloseHandle(client);
}

Result run_client(const Options& o) {
    const std::wstring path = pipe_path(o.name);
    Result r;
    if (o.workload == Workload::connect) {
        ::CloseHandle(connect_to(path)); // the first cycle waits for the server; time the rest
        const auto start = Clock::now();
        for (std::uint64_t i = 1; i < o.count; ++i) {
            const HANDLE pipe = connect_to(path);
            char eof;
            DWORD n = 0;
            if (::ReadFile(pipe, &eof, 1, &n, nullptr) || ::GetLastError() != ERROR_BROKEN_PIPE)
                fail("expected end of stream"); // the server accepted and closed
            ::CloseHandle(pipe);
        }
        r.seconds = seconds_since(start);
        r.operations = o.count - 1;
        return r;
    }
    const HANDLE pipe = connect_to(path);
    char ack;
    switch (o.workload) {
    case Workload::throughput: {
        const std::vector<char> chunk(o.size, 'x');
        const auto start = Clock::now();
        for (std::uint64_t sent = 0; sent < o.throughput_bytes(); sent += o.size)
            write_all(pipe, chunk.data(), chunk.size());
        read_exact(pipe, &ack, 1);
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
            write_all(pipe, message, sizeof message);
            read_exact(pipe, message, sizeof message);
            r.latencies[i] = seconds_since(t0);
        }
        r.seconds = seconds_since(start);
        r.operations = o.count;
        break;
    }
    case Workload::handles1:
    case Workload::handles64: {
        ULONG server_pid = 0;
        ::GetNamedPipeServerProcessId(pipe, &server_pid);
        const HANDLE server = ::OpenProcess(PROCESS_DUP_HANDLE, FALSE, server_pid);
        if (server == nullptr)
            fail("OpenProcess");
        std::vector<HANDLE> events;
        for (std::size_t h = 0; h < o.handles_per_message(); ++h)
            events.push_back(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
        std::vector<char> message(handle_message_bytes + 8 * o.handles_per_message());
        const auto start = Clock::now();
        for (std::uint64_t i = 0; i < o.count; ++i) {
            for (std::size_t h = 0; h < events.size(); ++h) {
                HANDLE remote = nullptr;
                if (!::DuplicateHandle(::GetCurrentProcess(), events[h], server, &remote, 0, FALSE,
                                       DUPLICATE_SAME_ACCESS))
                    fail("DuplicateHandle");
                const auto value = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(remote));
                std::memcpy(message.data() + handle_message_bytes + 8 * h, &value, 8);
            }
            write_all(pipe, message.data(), message.size());
        }
        read_exact(pipe, &ack, 1);
        r.seconds = seconds_since(start);
        r.operations = o.count;
        break;
    }
    case Workload::connect:
    case Workload::seqpacket:
    case Workload::fanin: break;
    }
    ::CloseHandle(pipe);
    return r;
}

} // namespace bench
