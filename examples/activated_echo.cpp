// Socket-activated echo server: takes every stream listener the service
// manager passed (systemd's LISTEN_FDS), prints "NAME: listening on SOCKET"
// for each, and echoes bytes back to every client of every listener, each
// client on a thread of its own, until SIGTERM ends it (its default action:
// systemd counts that as a clean stop). A stream connection passed by an
// Accept=yes socket is echoed too. Started without activation: exit status 2.
// Try it without systemd:
//   systemd-socket-activate -l @echo -l /tmp/echo.sock --fdname=abstract:file ./activated_echo
#include <localsock/localsock.hpp>

#include <array>
#include <cstdio>
#include <thread>
#include <vector>

namespace {

void echo(localsock::LocalStream client) {
    std::array<char, 4096> data;
    std::error_code ec;
    while (const std::size_t n = client.read_some(localsock::buffer(data), ec))
        if (client.write_all(localsock::ConstBuffer(data.data(), n), ec) != n)
            break;
}

void serve(localsock::LocalListener listener) {
    for (;;) {
        std::error_code ec;
        localsock::LocalStream client = listener.accept(ec);
        if (ec) {
            std::fprintf(stderr, "activated_echo: accept on %s: %s\n", listener.local_name().to_string().c_str(),
                         localsock::error_message(ec).c_str());
            continue;
        }
        std::thread(echo, std::move(client)).detach();
    }
}

} // namespace

int main() try {
    using namespace localsock;
    ActivatedSockets activated = take_activated_sockets();
    std::vector<std::thread> servers;
    for (ActivatedSocket& socket : activated) {
        if (auto* listener = std::get_if<LocalListener>(&socket.socket)) {
            std::printf("%s: listening on %s\n", socket.name.c_str(), listener->local_name().to_string().c_str());
            servers.emplace_back(serve, std::move(*listener));
        } else if (auto* connection = std::get_if<LocalStream>(&socket.socket)) {
            std::printf("%s: echoing one connection\n", socket.name.c_str());
            servers.emplace_back(echo, std::move(*connection));
        }
    }
    std::fflush(stdout);
    if (servers.empty()) {
        std::fprintf(stderr, activated.empty()
                                 ? "activated_echo: not socket-activated (no LISTEN_FDS for this process); run it "
                                   "from a systemd socket unit or under systemd-socket-activate\n"
                                 : "activated_echo: no activated stream listener or connection among the sockets "
                                   "passed\n");
        return 2;
    }
    for (std::thread& server : servers)
        server.join();
    return 0;
} catch (const std::system_error& e) {
    std::fprintf(stderr, "activated_echo: %s\n", e.what());
    return 2;
}
