// Handle-passing demo, server side: writes a message into an anonymous file
// (a memfd on Linux, an unlinked temporary file elsewhere) and hands the open
// file to each client that connects. The message itself never crosses the
// socket: only the descriptor does.
//   handoff_server [name] [clients]     (default @localsock-handoff, 1 client)
#include <localsock/localsock.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>
#if defined(__linux__)
#  include <sys/mman.h>
#endif

namespace {

localsock::OwnedHandle anonymous_file() {
#if defined(__linux__)
    const int fd = ::memfd_create("localsock-handoff", MFD_CLOEXEC);
#else
    char path[] = "/tmp/localsock-handoff-XXXXXX";
    const int fd = ::mkstemp(path);
    if (fd >= 0)
        ::unlink(path);
#endif
    if (fd < 0)
        throw std::system_error(errno, std::system_category(), "create anonymous file");
    return localsock::OwnedHandle(fd);
}

} // namespace

int main(int argc, char** argv) try {
    using namespace localsock;
    const LocalSocketName name = LocalSocketName::parse(argc > 1 ? argv[1] : "@localsock-handoff");
    const int clients = argc > 2 ? std::atoi(argv[2]) : 1;

    const OwnedHandle file = anonymous_file();
    const std::string message = "Hello from process " + std::to_string(::getpid()) +
                                ": you are reading this through a descriptor it passed you.\n";
    if (::pwrite(file.get(), message.data(), message.size(), 0) != static_cast<ssize_t>(message.size()))
        throw std::system_error(errno, std::system_category(), "write message");

    LocalListener listener = LocalListener::bind(name, {.reclaim_stale = true});
    std::printf("[server %d] listening on %s; the message is in descriptor %d\n", ::getpid(),
                name.to_string().c_str(), file.get());
    std::fflush(stdout);
    for (int served = 0; served < clients; ++served) {
        LocalStream client = listener.accept();
        client.send("F", {file.borrow()}); // the descriptor rides on this byte
        std::printf("[server %d] passed descriptor %d to client %lld\n", ::getpid(), file.get(),
                    static_cast<long long>(client.peer_credentials().pid.value_or(-1)));
        std::fflush(stdout);
    }
} catch (const std::exception& e) {
    std::fprintf(stderr, "handoff_server: %s\n", e.what());
    return 1;
}
