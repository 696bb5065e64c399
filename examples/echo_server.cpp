// Echo server: accepts clients one after another and sends back what they send.
//   echo_server [name]     name: "@abstract" or a socket path (default @localsock-echo)
#include <localsock/localsock.hpp>

#include <array>
#include <cstdio>

int main(int argc, char** argv) try {
    using namespace localsock;
    const LocalSocketName name = LocalSocketName::parse(argc > 1 ? argv[1] : "@localsock-echo");
    LocalListener listener = LocalListener::bind(name, {.reclaim_stale = true});
    std::printf("echo server listening on %s\n", name.to_string().c_str());

    for (LocalStream client : listener.incoming()) {
        std::array<char, 4096> data;
        while (const std::size_t n = client.read_some(buffer(data)))
            client.write_all(ConstBuffer(data.data(), n));
    }
} catch (const std::exception& e) {
    std::fprintf(stderr, "echo_server: %s\n", e.what());
    return 1;
}
