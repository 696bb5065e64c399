// Contender "async-localsock-coro": the async-localsock server written with
// C++20 coroutines (net::use_awaitable), one coroutine per client.
#include "harness.hpp"
#include "posix_io.hpp"

#include <localsock/asio.hpp>

#include <asio/experimental/as_tuple.hpp> // as_tuple is not experimental from Asio 1.24

#include <vector>

namespace bench {

const char* const contender_name = "async-localsock-coro";

bool supports(Workload workload) {
    return workload == Workload::pingpong || workload == Workload::handles1 || workload == Workload::handles64 ||
           workload == Workload::fanin;
}

namespace {

using namespace localsock;
constexpr auto use_tuple = net::experimental::as_tuple(net::use_awaitable);

net::awaitable<void> echo(AsyncStream<> stream) {
    char buffer[echo_buffer_bytes];
    for (;;) {
        const auto [ec, n] = co_await stream.async_read_some(net::buffer(buffer), use_tuple);
        if (ec == net::error::eof)
            co_return; // the client is done
        if (ec)
            fail("read: " + ec.message());
        co_await net::async_write(stream, net::buffer(buffer, n), net::use_awaitable);
    }
}

// Each message: 8 bytes and their handles, closed on arrival; the ack after the last.
net::awaitable<void> receive(AsyncStream<> stream, const Options& o) {
    char buffer[handle_message_bytes];
    std::vector<OwnedHandle> handles;
    handles.reserve(64);
    for (std::uint64_t messages = 0;;) {
        const auto [ec, n] = co_await stream.async_receive(net::buffer(buffer), handles, use_tuple);
        if (ec == net::error::eof)
            co_return; // the client is done
        if (ec || n != sizeof buffer || handles.size() != o.handles_per_message())
            fail("receive: " + ec.message());
        handles.clear();
        if (++messages == o.count)
            co_await net::async_write(stream, net::buffer("k", 1), net::use_awaitable);
    }
}

net::awaitable<void> serve(AsyncListener<>& listener, const Options& o) {
    for (std::size_t i = 0; i < o.clients; ++i) {
        AsyncStream<> stream = co_await listener.async_accept(net::use_awaitable);
        if (o.workload == Workload::pingpong || o.workload == Workload::fanin)
            net::co_spawn(listener.get_executor(), echo(std::move(stream)), net::detached);
        else
            net::co_spawn(listener.get_executor(), receive(std::move(stream), o), net::detached);
    }
}

} // namespace

void run_server(const Options& o) {
    posix::DescriptorLeakCheck leak_check; // every handle received was closed
    net::io_context io(1);
    AsyncListener<> listener(io, LocalListener::bind(LocalSocketName::parse(o.name), {.reclaim_stale = true}));
    net::co_spawn(io, serve(listener, o), [](std::exception_ptr e) {
        if (e)
            std::rethrow_exception(e);
    });
    io.run();
}

} // namespace bench
