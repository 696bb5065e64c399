// IPC test: nothing localsock creates or receives survives exec.
#include <doctest/doctest.h>

#include "../support/process.hpp"
#include "../support/resources.hpp"

#include <localsock/localsock.hpp>

#include <string>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

using namespace localsock;

// Child (just exec'd): "open:N" must be open, "closed:N" must not be.
CHILD_ROLE(check_descriptors) {
    for (const std::string& arg : args) {
        const bool want_open = arg.starts_with("open:");
        const int fd = std::stoi(arg.substr(arg.find(':') + 1));
        const bool is_open = ::fcntl(fd, F_GETFD) != -1;
        if (is_open != want_open) {
            std::fprintf(stderr, "descriptor %d is %s after exec\n", fd, is_open ? "open" : "closed");
            return 1;
        }
    }
    return 0;
}

TEST_SUITE("ipc") {

TEST_CASE("cloexec: every descriptor localsock creates or receives is closed by exec") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("cloexec");
    const testing::TempDir dir;
    LocalListener listener = LocalListener::bind(name);
    LocalListener file_listener = LocalListener::bind(LocalSocketName::filesystem(dir / "c.sock"),
                                                      {.mode = std::filesystem::perms{0600}, .reclaim_stale = true});
    LocalStream client = LocalStream::connect(name);
    LocalStream server = listener.accept();
    auto [a, b] = LocalStream::pair();

    const int memfd = ::memfd_create("cloexec-test", MFD_CLOEXEC);
    REQUIRE(memfd >= 0);
    OwnedHandle sent(memfd);
    client.send("x", {sent.borrow()});
    std::vector<OwnedHandle> received;
    char x = 0;
    REQUIRE(server.receive(MutableBuffer(&x, 1), received) == 1);
    REQUIRE(received.size() == 1);
    const OwnedHandle duplicated = received[0].duplicate();

    // Inherited without close-on-exec: adopting it must set the flag.
    const OwnedHandle original = a.release();
    const int inherited = ::dup(original.get());
    REQUIRE(inherited >= 0);
    const LocalStream adopted = LocalStream::adopt(OwnedHandle(inherited));

    // A control: a descriptor without close-on-exec that must stay open, so
    // the child really checks what it is given.
    const int control = ::dup(STDERR_FILENO);
    REQUIRE(control >= 0);
    const OwnedHandle control_owner(control);

    std::vector<std::string> args{"open:" + std::to_string(control)};
    for (const int fd : {listener.native_handle(), file_listener.native_handle(), client.native_handle(),
                         server.native_handle(), b.native_handle(), received[0].get(), duplicated.get(),
                         adopted.native_handle()})
        args.push_back("closed:" + std::to_string(fd));
    auto child = testing::ChildProcess::spawn("check_descriptors", args);
    CHECK(child.wait() == 0);
}

} // TEST_SUITE
