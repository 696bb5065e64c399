// Contender "async-localsock": localsock's Asio layer, a server on one
// io_context thread with callbacks, written as the async-asio one is:
// AsyncListener::async_accept, AsyncStream::async_read_some then
// net::async_write of what came; for handles, async_receive.
// "async-localsock-immediate" (BENCH_IMMEDIATE_COMPLETION) is the same
// server with its handlers bound to the io_context's executor as their
// immediate executor (localsock/asio/immediate.hpp): an operation that needs
// no wait runs its handler at once instead of through the scheduler's queue.
//
// On Windows (the Wine async table) the same server, measured with
// win32_client.cpp: it listens with handle_passing = false for the echo
// workloads, whose client sends plain bytes, and framed for the handle ones.
#include "harness.hpp"
#if defined(_WIN32)
#include "win32_io.hpp"
#else
#include "posix_io.hpp"
#endif

#include <localsock/asio.hpp>

#include <memory>
#include <vector>

namespace bench {

#if defined(BENCH_IMMEDIATE_COMPLETION)
const char* const contender_name = "async-localsock-immediate";
#else
const char* const contender_name = "async-localsock";
#endif

bool supports(Workload workload) {
    return workload == Workload::pingpong || workload == Workload::handles1 || workload == Workload::handles64 ||
           workload == Workload::fanin;
}

namespace {

using namespace localsock;

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(AsyncStream<> stream, const Options& o) : stream_(std::move(stream)), o_(o) { handles_.reserve(64); }

    void start() {
        if (o_.workload == Workload::pingpong || o_.workload == Workload::fanin)
            read();
        else
            receive();
    }

private:
    template <class Handler>
    auto immediate(Handler handler) {
#if defined(BENCH_IMMEDIATE_COMPLETION)
        return bind_immediate_executor(stream_.get_executor(), std::move(handler));
#else
        return handler;
#endif
    }

    void read() {
        stream_.async_read_some(net::buffer(buffer_), immediate([this, self = shared_from_this()](net_error_code ec,
                                                                                                 std::size_t n) {
            if (ec == net::error::eof)
                return; // the client is done
            if (ec)
                fail("read: " + ec.message());
            net::async_write(stream_, net::buffer(buffer_, n),
                             immediate([this, self = shared_from_this()](net_error_code ec, std::size_t) {
                                 if (ec)
                                     fail("write: " + ec.message());
                                 read();
                             }));
        }));
    }

    // Each message: 8 bytes and their handles, closed on arrival; the ack after the last.
    void receive() {
        stream_.async_receive(net::buffer(buffer_, handle_message_bytes), handles_,
                              immediate([this, self = shared_from_this()](net_error_code ec, std::size_t n) {
                                  if (ec == net::error::eof)
                                      return; // the client is done
                                  if (ec || n != handle_message_bytes || handles_.size() != o_.handles_per_message())
                                      fail("receive: " + ec.message());
                                  handles_.clear();
                                  if (++messages_ < o_.count)
                                      return receive();
                                  net::async_write(stream_, net::buffer("k", 1),
                                                   immediate([this, self = shared_from_this()](net_error_code ec,
                                                                                                std::size_t) {
                                                       if (ec)
                                                           fail("write: " + ec.message());
                                                       receive(); // until the end of the stream
                                                   }));
                              }));
    }

    AsyncStream<> stream_;
    const Options& o_;
    std::vector<OwnedHandle> handles_;
    std::uint64_t messages_ = 0;
    char buffer_[echo_buffer_bytes];
};

// Accepts `left` more clients, then stops listening; the io_context runs
// out of work, and run() returns, when the last of them has gone. (On
// Windows an open AsyncListener keeps run() going even with no accept
// waiting: its instances' armed connects are the io_context's work.)
void accept(AsyncListener<>& listener, const Options& o, std::size_t left) {
    listener.async_accept([&listener, &o, left](net_error_code ec, AsyncStream<> stream) {
        if (ec)
            fail("accept: " + ec.message());
        std::make_shared<Session>(std::move(stream), o)->start();
        if (left > 1)
            accept(listener, o, left - 1);
        else
            listener.close();
    });
}

} // namespace

void run_server(const Options& o) {
#if defined(_WIN32)
    win32::HandleLeakCheck leak_check; // every handle received was closed
    const bool handles = o.workload == Workload::handles1 || o.workload == Workload::handles64;
    const ListenerOptions options{.handle_passing = handles};
#else
    posix::DescriptorLeakCheck leak_check; // every descriptor received was closed
    const ListenerOptions options{.reclaim_stale = true};
#endif
    net::io_context io(1);
    AsyncListener<> listener(io, LocalListener::bind(LocalSocketName::parse(o.name), options));
    accept(listener, o, o.clients);
    io.run();
}

} // namespace bench
