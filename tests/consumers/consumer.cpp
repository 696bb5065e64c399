// An outside program using the installed or subproject localsock: the child
// process passes a descriptor to its parent, which reads through it.
#include <localsock/localsock.hpp>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main() try {
    using namespace localsock;
    auto [parent_end, child_end] = LocalStream::pair();
    const std::string message = "descriptor from the child process";

    const pid_t pid = ::fork();
    if (pid < 0)
        return 2;
    if (pid == 0) {
        parent_end = LocalStream();
        const OwnedHandle file(::memfd_create("consumer", MFD_CLOEXEC));
        if (!file || ::write(file.get(), message.data(), message.size()) != static_cast<ssize_t>(message.size()))
            ::_exit(3);
        child_end.send("f", {file.borrow()});
        ::_exit(0);
    }
    child_end = LocalStream();

    std::vector<OwnedHandle> handles;
    char tag = 0;
    parent_end.receive(MutableBuffer(&tag, 1), handles);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (handles.size() != 1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "consumer: no descriptor arrived\n");
        return 1;
    }
    char text[64] = {};
    const ssize_t n = ::pread(handles[0].get(), text, sizeof text - 1, 0);
    if (n != static_cast<ssize_t>(message.size()) || message != text) {
        std::fprintf(stderr, "consumer: read '%s' through the descriptor\n", text);
        return 1;
    }
    std::printf("consumer: OK, read '%s' through a passed descriptor\n", text);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "consumer: %s\n", e.what());
    return 1;
}
