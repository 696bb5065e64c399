// Contender "async-win32": the floor of the Windows async table, the
// overlapped server one writes by hand, the counterpart of async_epoll.cpp.
// One thread, one I/O completion port; a pool of overlapped pipe instances
// waits in ConnectNamedPipe (each connect that completes arms a fresh
// instance while more clients are due); each connection has one overlapped
// ReadFile or WriteFile in flight: the echo workloads read what came and
// write it back, the handle workloads read one message (localsock's frame
// layout, see win32_io.hpp) at a time and close the handle values it carries.
// Every completion, writes included, comes through the port, dequeued in
// batches. Any number of clients; it returns when `clients` have come and gone.
#include "harness.hpp"
#include "win32_io.hpp"

#include <cstring>
#include <memory>
#include <vector>

namespace bench {

const char* const contender_name = "async-win32";

bool supports(Workload workload) {
    return workload == Workload::pingpong || workload == Workload::handles1 || workload == Workload::handles64 ||
           workload == Workload::fanin;
}

namespace {

using namespace win32;

// Instances waiting for a client at any time (a listener's backlog).
constexpr std::size_t armed_instances = 16;

struct Connection {
    HANDLE pipe = nullptr;
    OVERLAPPED read{};  // ConnectNamedPipe, then each ReadFile
    OVERLAPPED write{};
    bool connected = false;
    std::size_t have = 0;       // handle workloads: bytes of the current message
    std::uint64_t messages = 0; // handle workloads: the ack goes after `count`
    char buffer[echo_buffer_bytes];
};

class Server {
public:
    explicit Server(const Options& o)
        : o_(o), path_(pipe_path(o.name)), echoes_(o.workload == Workload::pingpong || o.workload == Workload::fanin),
          message_bytes_(frame_header_bytes + 8 * o.handles_per_message() + handle_message_bytes) {
        port_ = ::CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
        if (port_ == nullptr)
            fail("CreateIoCompletionPort");
        put_frame_header(ack_, 0, 1);
        ack_[frame_header_bytes] = 'k';
        while (armed_ < armed_instances && armed_ < o_.clients)
            arm();
    }

    ~Server() {
        for (const auto& c : connections_)
            if (c->pipe != nullptr)
                ::CloseHandle(c->pipe);
        ::CloseHandle(port_);
    }

    void run() {
        OVERLAPPED_ENTRY entries[64];
        while (finished_ < o_.clients) {
            ULONG ready = 0;
            if (!::GetQueuedCompletionStatusEx(port_, entries, 64, &ready, INFINITE, FALSE))
                fail("GetQueuedCompletionStatusEx");
            for (ULONG i = 0; i < ready; ++i) {
                auto& c = *reinterpret_cast<Connection*>(entries[i].lpCompletionKey);
                const bool ok = entries[i].lpOverlapped->Internal == 0;
                const DWORD n = entries[i].dwNumberOfBytesTransferred;
                if (entries[i].lpOverlapped == &c.write)
                    written(c, ok, n);
                else if (!c.connected)
                    connected(c, ok);
                else
                    read(c, ok, n);
            }
        }
    }

private:
    // A fresh instance waiting for a client. A client that came first
    // (ERROR_PIPE_CONNECTED) queues no completion: it is served at once.
    void arm() {
        connections_.push_back(std::make_unique<Connection>());
        Connection& c = *connections_.back();
        c.pipe = create_instance(path_, FILE_FLAG_OVERLAPPED);
        if (::CreateIoCompletionPort(c.pipe, port_, reinterpret_cast<ULONG_PTR>(&c), 0) == nullptr)
            fail("CreateIoCompletionPort");
        ++armed_;
        if (::ConnectNamedPipe(c.pipe, &c.read) || ::GetLastError() == ERROR_IO_PENDING)
            return; // its completion comes through the port
        if (::GetLastError() != ERROR_PIPE_CONNECTED)
            fail("ConnectNamedPipe");
        connected(c, true);
    }

    void connected(Connection& c, bool ok) {
        if (!ok)
            fail("ConnectNamedPipe");
        c.connected = true;
        if (armed_ < o_.clients)
            arm();
        start_read(c);
    }

    void start_read(Connection& c) {
        c.read = {};
        char* into = echoes_ ? c.buffer : c.buffer + c.have;
        const std::size_t room = echoes_ ? sizeof c.buffer : message_bytes_ - c.have;
        if (!::ReadFile(c.pipe, into, static_cast<DWORD>(room), nullptr, &c.read) &&
            ::GetLastError() != ERROR_IO_PENDING)
            closed(c, ::GetLastError()); // failed at once: no completion comes
    }

    void start_write(Connection& c, const char* data, std::size_t size) {
        c.write = {};
        if (!::WriteFile(c.pipe, data, static_cast<DWORD>(size), nullptr, &c.write) &&
            ::GetLastError() != ERROR_IO_PENDING)
            fail("WriteFile");
    }

    void read(Connection& c, bool ok, DWORD n) {
        if (!ok) {
            ::GetOverlappedResult(c.pipe, &c.read, &n, FALSE); // done: its error, without waiting
            return closed(c, ::GetLastError());
        }
        if (n == 0)
            fail("empty read");
        if (echoes_)
            return start_write(c, c.buffer, n); // the next read when the echo is written
        c.have += n;
        if (c.have < message_bytes_)
            return start_read(c);
        if (!is_frame_header(c.buffer, o_.handles_per_message(), handle_message_bytes))
            fail("not a handle message");
        for (std::size_t h = 0; h < o_.handles_per_message(); ++h) {
            std::uint64_t value;
            std::memcpy(&value, c.buffer + frame_header_bytes + 8 * h, 8);
            if (!::CloseHandle(reinterpret_cast<HANDLE>(static_cast<std::uintptr_t>(value))))
                fail("handles missing");
        }
        c.have = 0;
        if (++c.messages == o_.count)
            start_write(c, ack_, sizeof ack_); // then reads on, to the end of the stream
        start_read(c);
    }

    void written(Connection& c, bool ok, DWORD n) {
        if (!ok)
            fail("WriteFile");
        if (echoes_) {
            if (n != c.read.InternalHigh)
                fail("short write");
            start_read(c);
        }
    }

    // A read failed: the client closed its end, or something went wrong.
    void closed(Connection& c, DWORD error) {
        if (error != ERROR_BROKEN_PIPE)
            fail("ReadFile: error " + std::to_string(error));
        ::CloseHandle(c.pipe);
        c.pipe = nullptr;
        ++finished_;
    }

    const Options& o_;
    const std::wstring path_;
    const bool echoes_;
    const std::size_t message_bytes_;
    HANDLE port_;
    char ack_[frame_header_bytes + 1];
    std::vector<std::unique_ptr<Connection>> connections_;
    std::size_t armed_ = 0; // instances created, each for one client
    std::size_t finished_ = 0;
};

} // namespace

void run_server(const Options& o) {
    HandleLeakCheck leak_check; // every handle it opened or received is closed at the end
    Server(o).run();
}

} // namespace bench
