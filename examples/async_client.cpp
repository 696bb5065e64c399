// Async client for async_server: sends a message with a descriptor attached
// (one end of a socket pair) and checks that the same message and a working
// descriptor come back.
//   async_client NAME [MESSAGE]
#include <localsock/asio.hpp>

#include <cstdio>
#include <exception>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace localsock;

net::awaitable<void> talk(LocalSocketName name, std::string message) {
    AsyncStream<> server(co_await net::this_coro::executor);
    co_await server.async_connect(name, net::use_awaitable);

    // The descriptor we lend: one end of a socket pair. We keep ours.
    auto [ours, theirs] = LocalStream::pair();
    const OwnedHandle lent = theirs.release();
    co_await server.async_send(net::buffer(message), std::span(&lent, 1), net::use_awaitable);

    // The echo: the handles come with its first byte; the rest, if the
    // bytes came in parts, is read as plain bytes.
    std::string echoed(message.size(), '\0');
    std::vector<OwnedHandle> handles;
    const std::size_t n = co_await server.async_receive(net::buffer(echoed), handles, net::use_awaitable);
    co_await net::async_read(server, net::buffer(echoed) + n, net::use_awaitable);
    if (echoed != message || handles.size() != 1)
        throw std::runtime_error("the echo differs from what was sent");

    // What came back is a new descriptor for the end we lent: bytes written
    // through it arrive at ours.
    LocalStream back = LocalStream::adopt(std::move(handles[0]));
    back.write_all("ok");
    char check[2];
    ours.read_exact(buffer(check));
    std::printf("echoed \"%s\" with a working descriptor (%c%c through it)\n", echoed.c_str(), check[0], check[1]);
}

} // namespace

int main(int argc, char** argv) try {
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: async_client NAME [MESSAGE]\n");
        return 2;
    }
    net::io_context io;
    net::co_spawn(io, talk(LocalSocketName::parse(argv[1]), argc > 2 ? argv[2] : "hello"),
                  [](std::exception_ptr e) {
                      if (e)
                          std::rethrow_exception(e); // out of io.run(), into the catch below
                  });
    io.run();
} catch (const std::exception& e) {
    std::fprintf(stderr, "async_client: %s\n", e.what());
    return 1;
}
