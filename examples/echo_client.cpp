// Echo client: sends its arguments to the echo server and prints the reply.
//   echo_client [name] [text...]
#include <localsock/localsock.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) try {
    using namespace localsock;
    const LocalSocketName name = LocalSocketName::parse(argc > 1 ? argv[1] : "@localsock-echo");
    std::string text;
    for (int i = 2; i < argc; ++i)
        text += (i > 2 ? " " : "") + std::string(argv[i]);
    if (text.empty())
        text = "hello, localsock";

    LocalStream stream = LocalStream::connect(name);
    stream.write_all(text);
    stream.shutdown(Shutdown::write); // tell the server we are done
    std::string reply(text.size(), '\0');
    stream.read_exact(buffer(reply));
    std::printf("%s\n", reply.c_str());
} catch (const std::exception& e) {
    std::fprintf(stderr, "echo_client: %s\n", e.what());
    return 1;
}
