// A client of examples/async_server on Windows (README's async_client adopts
// the returned handle as a LocalStream, which Windows cannot do): connects,
// sends MESSAGE with the write end of an anonymous pipe, and checks that the
// echo brings the same bytes and a handle that writes into that pipe.
//   echo_client NAME MESSAGE
#include "../support/resources.hpp"

#include <localsock/localsock.hpp>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

int main(int argc, char** argv) try {
    using namespace localsock;
    if (argc != 3) {
        std::fprintf(stderr, "usage: echo_client NAME MESSAGE\n");
        return 2;
    }
    const std::string message = argv[2];
    LocalStream server = LocalStream::connect(LocalSocketName::parse(argv[1]));
    auto [read_end, write_end] = testing::make_pipe();
    server.send(message, {write_end.borrow()});
    write_end.reset(); // only the echoed copy writes into the pipe now

    std::string echoed(message.size(), '\0');
    std::vector<OwnedHandle> handles;
    std::size_t n = server.receive(MutableBuffer(echoed.data(), echoed.size()), handles);
    if (n < echoed.size())
        server.read_exact(MutableBuffer(echoed.data() + n, echoed.size() - n));
    if (echoed != message || handles.size() != 1)
        throw std::runtime_error("the echo differs from what was sent");
    testing::write_handle(handles[0], "ok");
    handles.clear();
    const std::string check = testing::read_handle(read_end, 2);
    std::printf("echoed \"%s\" with a working handle (%s through it)\n", echoed.c_str(), check.c_str());
    return check == "ok" ? 0 : 1;
} catch (const std::exception& e) {
    std::fprintf(stderr, "echo_client: %s\n", e.what());
    return 1;
}
