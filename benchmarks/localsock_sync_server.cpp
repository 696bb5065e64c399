// Contender "localsock-sync" of the Windows async table: localsock's
// synchronous streams serving the async workloads, a thread per client (what
// a blocking server does with several clients). The main thread accepts;
// each client's thread echoes (read_some, write_all) or receives its handle
// messages (receive, the handles closed on arrival, the ack after the last)
// until the end of the stream. Measured with the async table's client
// (win32_client.cpp), like the async servers.
#include "harness.hpp"
#include "win32_io.hpp"

#include <localsock/localsock.hpp>

#include <memory>
#include <vector>

namespace bench {

const char* const contender_name = "localsock-sync";

bool supports(Workload workload) {
    return workload == Workload::pingpong || workload == Workload::handles1 || workload == Workload::handles64 ||
           workload == Workload::fanin;
}

namespace {

using namespace localsock;

struct Session {
    LocalStream stream;
    const Options& o;
    char buffer[echo_buffer_bytes];
};

void echo(Session& s) {
    for (;;) {
        const std::size_t n = s.stream.read_some(MutableBuffer(s.buffer, sizeof s.buffer));
        if (n == 0)
            return; // the client is done
        s.stream.write_all(ConstBuffer(s.buffer, n));
    }
}

// Each message: 8 bytes and their handles, closed on arrival; the ack after the last.
void receive(Session& s) {
    std::vector<OwnedHandle> handles;
    handles.reserve(64);
    for (std::uint64_t messages = 0;;) {
        const std::size_t n = s.stream.receive(MutableBuffer(s.buffer, handle_message_bytes), handles);
        if (n == 0)
            return; // the client is done
        if (n != handle_message_bytes || handles.size() != s.o.handles_per_message())
            fail("receive");
        handles.clear();
        if (++messages == s.o.count)
            s.stream.write_all("k");
    }
}

// Win32 threads, not std::thread: MinGW's winpthreads keeps handles of
// threads that ended, which the leak check would count.
DWORD WINAPI serve(void* session) try {
    auto& s = *static_cast<Session*>(session);
    if (s.o.workload == Workload::pingpong || s.o.workload == Workload::fanin)
        echo(s);
    else
        receive(s);
    return 0;
} catch (const std::exception& e) {
    fail(e.what());
}

} // namespace

void run_server(const Options& o) {
    // A process's first bind leaves two handles open for good under Wine
    // (once, not per listener or connection): one bind on a name of its own
    // first, so that the leak check counts from after it. The check starts
    // before the real bind: a client can connect, and push handles, as soon
    // as the name exists.
    (void)LocalListener::bind(LocalSocketName::parse(o.name + "-first"));
    win32::HandleLeakCheck leak_check; // every handle of the connections, received ones included, was closed
    // The echo workloads are plain bytes (the client's); the handle workloads framed.
    const bool handles = o.workload == Workload::handles1 || o.workload == Workload::handles64;
    LocalListener listener = LocalListener::bind(LocalSocketName::parse(o.name), {.handle_passing = handles});
    std::vector<std::unique_ptr<Session>> sessions;
    std::vector<HANDLE> threads;
    for (std::size_t i = 0; i < o.clients; ++i) {
        sessions.push_back(std::unique_ptr<Session>(new Session{listener.accept(), o, {}}));
        const HANDLE thread = ::CreateThread(nullptr, 64 * 1024, serve, sessions.back().get(),
                                             STACK_SIZE_PARAM_IS_A_RESERVATION, nullptr);
        if (thread == nullptr)
            fail("CreateThread");
        threads.push_back(thread);
    }
    for (const HANDLE thread : threads) {
        ::WaitForSingleObject(thread, INFINITE);
        ::CloseHandle(thread);
    }
}

} // namespace bench
