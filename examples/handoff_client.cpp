// Handle-passing demo, client side: receives a descriptor from the server and
// prints the message it finds in that file.
//   handoff_client [name]     (default @localsock-handoff)
#include <localsock/localsock.hpp>

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <unistd.h>

int main(int argc, char** argv) try {
    using namespace localsock;
    const LocalSocketName name = LocalSocketName::parse(argc > 1 ? argv[1] : "@localsock-handoff");

    // The server may still be starting: retry for up to five seconds.
    LocalStream stream;
    std::error_code ec;
    for (int attempt = 0; attempt < 100; ++attempt) {
        stream = LocalStream::connect(name, ec);
        if (!ec)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (ec)
        throw std::system_error(ec, "connect " + name.to_string());

    std::vector<OwnedHandle> handles;
    char tag = 0;
    stream.receive(MutableBuffer(&tag, 1), handles);
    if (tag != 'F' || handles.size() != 1) {
        std::fprintf(stderr, "handoff_client: expected one descriptor, got %zu\n", handles.size());
        return 1;
    }

    char text[512];
    const ssize_t n = ::pread(handles[0].get(), text, sizeof text, 0);
    if (n < 0)
        throw std::system_error(errno, std::system_category(), "read passed file");
    std::printf("[client %d] received descriptor %d; it reads:\n%.*s", ::getpid(), handles[0].get(),
                static_cast<int>(n), text);
} catch (const std::exception& e) {
    std::fprintf(stderr, "handoff_client: %s\n", e.what());
    return 1;
}
