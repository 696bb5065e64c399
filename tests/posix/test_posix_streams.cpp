// IPC tests (POSIX): what only POSIX has — socket-file names, SIGPIPE, uids,
// adopting sockets, passing a socket to be adopted on the other side.
#include <doctest/doctest.h>

#include "../support/process.hpp"
#include "../support/resources.hpp"

#include <localsock/localsock.hpp>

#include <algorithm>
#include <array>
#include <csignal>
#include <string>

#include <grp.h>
#include <unistd.h>

using namespace localsock;
namespace fs = std::filesystem;

// Child: optionally drop to uid/gid 65534 (when root), connect to args[0],
// check that the server is our parent.
CHILD_ROLE(report_credentials) {
    if (args.size() > 1 && ::getuid() == 0)
        CHILD_REQUIRE(::setgid(65534) == 0 && ::setuid(65534) == 0);
    LocalStream stream = LocalStream::connect(LocalSocketName::parse(args.at(0)));
    const PeerCredentials server = stream.peer_credentials();
    CHILD_REQUIRE(server.pid && *server.pid == ::getppid());
    stream.write_all("k");
    char done = 0;
    stream.read_exact(MutableBuffer(&done, 1));
    return 0;
}

// Child (root only): take supplementary groups 4242 and 4343, then connect.
CHILD_ROLE(connect_with_groups) {
    const gid_t groups[] = {4242, 4343};
    CHILD_REQUIRE(::setgroups(2, groups) == 0);
    LocalStream stream = LocalStream::connect(LocalSocketName::parse(args.at(0)));
    stream.write_all("k");
    char done = 0;
    stream.read_exact(MutableBuffer(&done, 1));
    return 0;
}

// Child: receive a connected socket, adopt it, talk over it.
CHILD_ROLE(adopt_received_socket) {
    LocalStream stream = LocalStream::connect(LocalSocketName::parse(args.at(0)));
    std::vector<OwnedHandle> handles;
    char tag = 0;
    CHILD_REQUIRE(stream.receive(MutableBuffer(&tag, 1), handles) == 1);
    CHILD_REQUIRE(handles.size() == 1);
    LocalStream passed = LocalStream::adopt(std::move(handles[0]));
    passed.write_all("over the passed socket");
    char reply[5] = {};
    passed.read_exact(MutableBuffer(reply, 5));
    CHILD_REQUIRE(std::string(reply, 5) == "reply");
    return 0;
}

TEST_SUITE("ipc") {

TEST_CASE("posix: echo with a child process over a filesystem name") {
    const testing::HandleLeakCheck leaks;
    const testing::TempDir dir;
    const LocalSocketName name = LocalSocketName::filesystem(dir / "echo.sock");
    LocalListener listener = LocalListener::bind(name);
    auto child = testing::ChildProcess::spawn("echo_client", {name.to_string(), "hello over a socket file"});
    LocalStream client = listener.accept();
    std::array<char, 64> data{};
    for (std::size_t n; (n = client.read_some(buffer(data))) != 0;)
        client.write_all(ConstBuffer(data.data(), n));
    CHECK(child.wait() == 0);
}

TEST_CASE("posix: connecting to a missing socket file is no_such_file_or_directory") {
    const testing::HandleLeakCheck leaks;
    const testing::TempDir dir;
    std::error_code ec;
    const LocalStream missing = LocalStream::connect(LocalSocketName::filesystem(dir / "nobody.sock"), ec);
    CHECK_FALSE(missing.is_open());
    CHECK(ec == std::errc::no_such_file_or_directory);
}

TEST_CASE("posix: writing to a closed peer is EPIPE, with SIGPIPE left at its default") {
    const testing::HandleLeakCheck leaks;
    struct sigaction current {};
    REQUIRE(::sigaction(SIGPIPE, nullptr, &current) == 0);
    const bool default_at_start = current.sa_handler == SIG_DFL;
    REQUIRE(default_at_start); // otherwise this test proves nothing

    auto [a, b] = LocalStream::pair();
    b = LocalStream();
    std::error_code ec;
    const std::vector<char> data(1 << 20);
    a.write_all(buffer(data), ec);
    CHECK(ec == std::errc::broken_pipe);
    CHECK_THROWS_AS(a.write_all("again"), std::system_error);
    const OwnedHandle file = testing::file_with("f");
    a.send("x", {file.borrow()}, ec);
    CHECK(ec == std::errc::broken_pipe);

    REQUIRE(::sigaction(SIGPIPE, nullptr, &current) == 0);
    const bool default_at_end = current.sa_handler == SIG_DFL;
    CHECK(default_at_end); // the library did not touch it
}

TEST_CASE("posix: peer credentials report uid and gid, also of a child that changed uid") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    const PeerCredentials self = a.peer_credentials();
    CHECK(self.uid == ::getuid());
    CHECK(self.gid == ::getgid());
    CHECK(self.user_sid.empty());
    if (::getuid() != 0) {
        MESSAGE("not root: the uid-changing child is not tested");
        return;
    }
    const LocalSocketName name = testing::unique_namespaced_name("creds-uid");
    LocalListener listener = LocalListener::bind(name);
    auto child = testing::ChildProcess::spawn("report_credentials", {name.to_string(), "drop"});
    LocalStream client = listener.accept();
    char ready = 0;
    client.read_exact(MutableBuffer(&ready, 1));
    const PeerCredentials peer = client.peer_credentials();
    CHECK(peer.pid == child.pid());
    CHECK(peer.uid == 65534u);
    CHECK(peer.gid == 65534u);
    client.write_all("d");
    CHECK(child.wait() == 0);
}

TEST_CASE("posix: peer credentials carry the supplementary groups and the LSM label") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    const PeerCredentials self = a.peer_credentials();
    std::vector<gid_t> own(static_cast<std::size_t>(::getgroups(0, nullptr)));
    ::getgroups(static_cast<int>(own.size()), own.data());
    std::vector<std::uint32_t> expected(own.begin(), own.end()), reported = self.groups;
    std::sort(expected.begin(), expected.end());
    std::sort(reported.begin(), reported.end());
    CHECK(reported == expected);
    CAPTURE(self.security_label); // empty unless an LSM labels sockets here

    if (::getuid() != 0) {
        MESSAGE("not root: the child with chosen groups is not tested");
        return;
    }
    const LocalSocketName name = testing::unique_namespaced_name("groups");
    LocalListener listener = LocalListener::bind(name);
    auto child = testing::ChildProcess::spawn("connect_with_groups", {name.to_string()});
    LocalStream client = listener.accept();
    char ready = 0;
    client.read_exact(MutableBuffer(&ready, 1));
    std::vector<std::uint32_t> groups = client.peer_credentials().groups;
    std::sort(groups.begin(), groups.end());
    CHECK(groups == std::vector<std::uint32_t>{4242, 4343});
    client.write_all("d");
    CHECK(child.wait() == 0);
}

TEST_CASE("posix: a socket passed to a child is adopted and used there") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("pass-socket");
    LocalListener listener = LocalListener::bind(name);
    auto child = testing::ChildProcess::spawn("adopt_received_socket", {name.to_string()});
    LocalStream stream = listener.accept();
    auto [mine, theirs] = LocalStream::pair();
    stream.send("s", {BorrowedHandle(theirs.native_handle())});
    theirs = LocalStream();
    std::string over_socket(22, '\0');
    mine.read_exact(buffer(over_socket));
    CHECK(over_socket == "over the passed socket");
    mine.write_all("reply");
    CHECK(child.wait() == 0);
}

TEST_CASE("posix: adopt takes over a connected socket and refuses anything else") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    LocalStream adopted = LocalStream::adopt(a.release());
    CHECK_FALSE(a.is_open());
    adopted.write_all("via adopted");
    std::array<char, 11> data{};
    b.read_exact(buffer(data));
    CHECK(std::string(data.data(), data.size()) == "via adopted");

    auto [read_end, write_end] = testing::make_pipe();
    std::error_code ec;
    const LocalStream not_socket = LocalStream::adopt(std::move(read_end), ec);
    CHECK(ec == errc::not_a_local_stream);
    CHECK(ec == std::errc::invalid_argument);
    CHECK_FALSE(not_socket.is_open()); // and the pipe end was closed, not leaked
}

TEST_CASE("posix: names — both kinds on Linux, 107 bytes each; SDDL is refused") {
    const testing::HandleLeakCheck leaks; // the refused bind must not leave a socket open
    using Kind = LocalSocketName::Kind;
    CHECK(LocalSocketName::supports(Kind::filesystem));
    CHECK(LocalSocketName::max_length(Kind::filesystem) == 107);
#if defined(__linux__)
    CHECK(LocalSocketName::supports(Kind::namespaced));
    CHECK(LocalSocketName::max_length(Kind::namespaced) == 107);
#endif
    std::error_code ec;
    LocalListener::bind(testing::unique_namespaced_name("sddl"), {.security_descriptor = "D:(A;;GA;;;WD)"}, ec);
    CHECK(ec == std::errc::not_supported);
}

} // TEST_SUITE
