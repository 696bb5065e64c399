// Async echo server that returns handles too: any number of clients at once,
// on one thread, one coroutine per client. Whatever a client sends comes back
// to it, with the same handles attached.
//   async_server NAME      NAME: "@abstract" or a socket path
// SIGINT or SIGTERM stops it: the listener closes (removing its socket file),
// every client is disconnected, and it exits with status 0.
#include <localsock/asio.hpp>

#include <array>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <list>
#include <vector>

namespace {

using namespace localsock;
using namespace std::chrono_literals;

// A client may send at most this many handles per message (D-Bus's limit).
// More are closed as they arrive and the bytes are echoed without them, so
// no client makes the server hold more than this many of its descriptors.
constexpr std::size_t handle_limit = dbus_max_handles;

// Errors come back in `ec` instead of as exceptions: clients leaving, even
// rudely, is ordinary here.
auto into(net_error_code& ec) { return net::redirect_error(net::use_awaitable, ec); }

// One client: echoes what it sends, handles included, until it leaves.
net::awaitable<void> echo(AsyncStream<>& client) {
    std::array<char, 4096> data;
    std::vector<OwnedHandle> handles; // reused: no allocation per message
    for (;;) {
        net_error_code ec;
        handles.clear(); // closes our copies of the last message's handles
        const std::size_t n = co_await client.async_receive(net::buffer(data), handles, into(ec));
        // handles_truncated: more than handle_limit came; the bytes are here
        // and every handle that came was closed. Anything else ends the client:
        // the end of the stream (net::error::eof), a reset, or the close on a
        // signal.
        if (ec && ec != errc::handles_truncated)
            co_return;
        // Bytes and handles go back together, the handles on the first byte.
        co_await client.async_send(net::buffer(data.data(), n), handles, into(ec));
        if (ec)
            co_return; // it left without reading its echo
    }
}

// The open connections, so that a signal can close them all.
using Clients = std::list<AsyncStream<>>;

net::awaitable<void> serve(Clients& clients, Clients::iterator client) {
    co_await echo(*client);
    clients.erase(client); // closes the connection
}

net::awaitable<void> accept_clients(AsyncListener<>& listener, Clients& clients) {
    const auto executor = co_await net::this_coro::executor;
    while (listener.is_open()) {
        net_error_code ec;
        AsyncStream<> client = co_await listener.async_accept(into(ec));
        if (ec == net::error::operation_aborted)
            break; // closed on a signal
        if (ec) {
            // Out of descriptors, most likely. The connection stays in the
            // backlog: try again in a moment rather than spin.
            std::fprintf(stderr, "async_server: accept: %s\n", ec.message().c_str());
            net::steady_timer pause(executor, 100ms);
            co_await pause.async_wait(into(ec));
            continue;
        }
        client.sync().set_max_handles_per_receive(handle_limit);
        clients.push_front(std::move(client));
        net::co_spawn(executor, serve(clients, clients.begin()), net::detached);
    }
}

} // namespace

int main(int argc, char** argv) try {
    if (argc != 2) {
        std::fprintf(stderr, "usage: async_server NAME\n");
        return 2;
    }
    const LocalSocketName name = LocalSocketName::parse(argv[1]);
    net::io_context io(1); // run by this thread alone
    AsyncListener<> listener(io, LocalListener::bind(name, {.reclaim_stale = true}));
    Clients clients;

    net::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const net_error_code& ec, int) {
        if (ec)
            return;
        listener.close(); // removes the socket file; the accept loop ends
        for (AsyncStream<>& client : clients)
            client.close(); // each client's pending operation ends: its coroutine returns
    });

    net::co_spawn(io, accept_clients(listener, clients), net::detached);
    std::printf("listening on %s\n", name.to_string().c_str());
    std::fflush(stdout);
    io.run(); // returns once every coroutine has finished
} catch (const std::exception& e) {
    std::fprintf(stderr, "async_server: %s\n", e.what());
    return 1;
}
