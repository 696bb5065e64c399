// IPC test: socket activation. The real systemd-socket-activate (Debian's
// systemd package) starts this binary's roles with the sockets it bound;
// the environment cases give a child descriptors 3, 4... and LISTEN_*
// variables of our own making.
#include <doctest/doctest.h>

#include "../support/process.hpp"
#include "../support/resources.hpp"

#include <localsock/localsock.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

using namespace localsock;
using namespace std::chrono_literals;

namespace {

const char* const variables[] = {"LISTEN_PID", "LISTEN_PIDFDID", "LISTEN_FDS", "LISTEN_FDNAMES"};

// "name|kind|local name" of one taken socket, as the roles compare it.
std::string describe(const ActivatedSocket& taken) {
    struct Describe {
        std::string operator()(const LocalListener& l) const { return "stream-listener|" + l.local_name().to_string(); }
        std::string operator()(const LocalSeqpacketListener& l) const {
            return "seqpacket-listener|" + l.local_name().to_string();
        }
        std::string operator()(const LocalDatagram& d) const { return "datagram|" + d.local_name().to_string(); }
        std::string operator()(const LocalStream&) const { return "stream|"; }
        std::string operator()(const LocalSeqpacket&) const { return "seqpacket|"; }
        std::string operator()(const OwnedHandle&) const { return "other|"; }
    };
    return taken.name + "|" + std::visit(Describe{}, taken.socket);
}

native_handle_type handle_of(const ActivatedSocket& taken) {
    return std::visit(
        [](const auto& socket) -> native_handle_type {
            if constexpr (std::is_same_v<std::decay_t<decltype(socket)>, OwnedHandle>)
                return socket.get();
            else
                return socket.native_handle();
        },
        taken.socket);
}

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }
bool is_cloexec(int fd) { return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }

// This process's pidfd id where the kernel has pidfs (Linux 6.9+), else 0.
std::uint64_t own_pidfd_id() {
#if defined(SYS_pidfd_open)
    const OwnedHandle pidfd(static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0)));
    struct statfs filesystem {};
    struct stat st {};
    if (!pidfd || ::fstatfs(pidfd.get(), &filesystem) != 0 || filesystem.f_type != 0x50494446 ||
        ::fstat(pidfd.get(), &st) != 0)
        return 0;
    return st.st_ino;
#else
    return 0;
#endif
}

// Checks what a role took against `expected` ("name|kind|local name"), and
// that each taken descriptor became close-on-exec.
bool matches(const ActivatedSockets& sockets, const std::vector<std::string>& expected) {
    std::vector<std::string> got;
    auto wanted = expected.begin();
    for (const ActivatedSocket& taken : sockets) {
        got.push_back(describe(taken));
        // "*|kind|..." expects any name.
        if (wanted != expected.end() && wanted->starts_with("*|"))
            got.back().replace(0, taken.name.size(), "*");
        if (wanted != expected.end())
            ++wanted;
        if (!is_cloexec(handle_of(taken))) {
            std::fprintf(stderr, "%s: not close-on-exec\n", got.back().c_str());
            return false;
        }
    }
    if (got == expected)
        return true;
    for (const std::string& line : got)
        std::fprintf(stderr, "took:     %s\n", line.c_str());
    for (const std::string& line : expected)
        std::fprintf(stderr, "expected: %s\n", line.c_str());
    return false;
}

} // namespace

// Started by systemd-socket-activate: takes the sockets, checks them against
// the arguments ("name|kind|local name" each), then answers the client that
// triggered the start through the first one: "pong:NAME".
CHILD_ROLE(activated) {
    ActivatedSockets sockets = take_activated_sockets();
    for (const char* variable : variables)
        CHILD_REQUIRE(std::getenv(variable) == nullptr);
    CHILD_REQUIRE(matches(sockets, args));
    ActivatedSocket& first = *sockets.begin();
    const std::string answer = "pong:" + first.name;
    char ping[4] = {};
    if (auto* listener = std::get_if<LocalListener>(&first.socket)) {
        LocalStream client = listener->accept();
        client.read_exact(MutableBuffer(ping, 4));
        client.write_all(answer);
    } else if (auto* seqpacket_listener = std::get_if<LocalSeqpacketListener>(&first.socket)) {
        LocalSeqpacket client = seqpacket_listener->accept();
        CHILD_REQUIRE(client.receive(MutableBuffer(ping, 4)).bytes == 4);
        client.send(answer);
    } else if (auto* datagram = std::get_if<LocalDatagram>(&first.socket)) {
        LocalSocketName sender;
        CHILD_REQUIRE(datagram->receive_from(MutableBuffer(ping, 4), sender).bytes == 4);
        datagram->send_to(sender, answer);
    } else if (auto* connection = std::get_if<LocalStream>(&first.socket)) {
        connection->read_exact(MutableBuffer(ping, 4));
        connection->write_all(answer);
    } else {
        CHILD_REQUIRE(false);
    }
    CHILD_REQUIRE(std::string(ping, 4) == "ping");
    return 0;
}

// Sets the LISTEN_* variables the arguments give ("LISTEN_PID=self",
// "LISTEN_PIDFDID=self" / "self+1": this process's), then takes and checks:
//   ... expect=empty                        nothing taken
//   ... expect=error what=TEXT              errc (both forms), what() holds TEXT
//   ... expect=take "name|kind|local"...    those sockets
// and, for "untouched=N", that descriptors 3..3+N-1 were left as they were
// (open, not close-on-exec: inherited).
CHILD_ROLE(activation_environment) {
    std::vector<std::string> settings, expected;
    std::string expect, what;
    int untouched = 0;
    for (const std::string& arg : args) {
        if (arg.starts_with("LISTEN_"))
            settings.push_back(arg);
        else if (arg.starts_with("expect="))
            expect = arg.substr(7);
        else if (arg.starts_with("what="))
            what = arg.substr(5);
        else if (arg.starts_with("untouched="))
            untouched = std::stoi(arg.substr(10));
        else
            expected.push_back(arg);
    }
    const auto set_variables = [&] {
        for (const std::string& setting : settings) {
            const std::string variable = setting.substr(0, setting.find('='));
            std::string value = setting.substr(setting.find('=') + 1);
            if (value == "self")
                value = variable == "LISTEN_PID" ? std::to_string(::getpid()) : std::to_string(own_pidfd_id());
            else if (value == "self+1")
                value = std::to_string(own_pidfd_id() + 1);
            CHILD_REQUIRE(::setenv(variable.c_str(), value.c_str(), 1) == 0);
        }
    };
    const auto variables_gone = [] {
        for (const char* variable : variables)
            if (std::getenv(variable) != nullptr)
                return false;
        return true;
    };
    const auto left_as_they_were = [&] {
        for (int fd = 3; fd < 3 + untouched; ++fd)
            if (!is_open(fd) || is_cloexec(fd))
                return false;
        return true;
    };

    set_variables();
    std::error_code ec;
    ActivatedSockets sockets = take_activated_sockets(ec);
    CHILD_REQUIRE(variables_gone());
    if (expect == "empty") {
        CHILD_REQUIRE(!ec);
        CHILD_REQUIRE(sockets.empty());
        CHILD_REQUIRE(left_as_they_were());
    } else if (expect == "error") {
        CHILD_REQUIRE(ec);
        CHILD_REQUIRE(sockets.empty());
        CHILD_REQUIRE(left_as_they_were());
        set_variables();
        try {
            take_activated_sockets();
            CHILD_REQUIRE(false);
        } catch (const std::system_error& e) {
            if (e.code() != ec || std::string(e.what()).find(what) == std::string::npos) {
                std::fprintf(stderr, "what(): %s\nwanted: %s\n", e.what(), what.c_str());
                return 1;
            }
        }
        CHILD_REQUIRE(variables_gone());
        CHILD_REQUIRE(left_as_they_were());
    } else {
        CHILD_REQUIRE(expect == "take");
        CHILD_REQUIRE(!ec);
        CHILD_REQUIRE(matches(sockets, expected));
    }
    return 0;
}

namespace {

// The client that triggers systemd-socket-activate: it binds the sockets
// after it started, so connect until it is there.
template <class Connect>
auto connect_when_bound(Connect connect) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
        std::error_code ec;
        auto connection = connect(ec);
        if (!ec || std::chrono::steady_clock::now() > deadline) {
            REQUIRE_MESSAGE(!ec, "no socket-activated listener appeared: ", error_message(ec));
            return connection;
        }
        std::this_thread::sleep_for(10ms);
    }
}

testing::ChildProcess activate(const std::vector<std::string>& launcher, const testing::RoleArguments& expected) {
    std::vector<std::string> command{"systemd-socket-activate"};
    command.insert(command.end(), launcher.begin(), launcher.end());
    return testing::ChildProcess::spawn("activated", expected, {.launcher = command});
}

std::string stream_round_trip(const LocalSocketName& name) {
    LocalStream client = connect_when_bound([&](std::error_code& ec) { return LocalStream::connect(name, ec); });
    client.write_all("ping");
    client.shutdown(Shutdown::write);
    std::string answer;
    char chunk[64];
    std::error_code ec;
    while (const std::size_t n = client.read_some(MutableBuffer(chunk, sizeof chunk), ec))
        answer.append(chunk, n);
    return answer;
}

} // namespace

TEST_SUITE("ipc") {

TEST_CASE("activation: systemd-socket-activate -l @name: one stream listener, named 'unknown'") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("activate");
    auto child = activate({"-l", name.to_string()}, {"unknown|stream-listener|" + name.to_string()});
    CHECK(stream_round_trip(name) == "pong:unknown");
    CHECK(child.wait() == 0);
}

TEST_CASE("activation: a socket file, a namespaced name and a seqpacket socket... named by --fdname") {
    const testing::HandleLeakCheck leaks;
    const testing::TempDir dir;
    const LocalSocketName first = testing::unique_namespaced_name("activate-web");
    const LocalSocketName file = LocalSocketName::filesystem(dir / "admin.sock");
    const LocalSocketName third = testing::unique_namespaced_name("activate-metrics");
    auto child = activate({"-l", first.to_string(), "-l", file.to_string(), "-l", third.to_string(),
                           "--fdname=web:admin:metrics"},
                          {"web|stream-listener|" + first.to_string(), "admin|stream-listener|" + file.to_string(),
                           "metrics|stream-listener|" + third.to_string()});
    CHECK(stream_round_trip(first) == "pong:web");
    CHECK(child.wait() == 0);
}

TEST_CASE("activation: --seqpacket gives a LocalSeqpacketListener") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("activate-seqpacket");
    auto child = activate({"--seqpacket", "-l", name.to_string(), "--fdname=packets"},
                          {"packets|seqpacket-listener|" + name.to_string()});
    LocalSeqpacket client =
        connect_when_bound([&](std::error_code& ec) { return LocalSeqpacket::connect(name, ec); });
    client.send("ping");
    char answer[64] = {};
    const std::size_t n = client.receive(MutableBuffer(answer, sizeof answer)).bytes;
    CHECK(std::string(answer, n) == "pong:packets");
    CHECK(child.wait() == 0);
}

TEST_CASE("activation: --datagram gives a LocalDatagram") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("activate-datagram");
    auto child = activate({"--datagram", "-l", name.to_string(), "--fdname=log"},
                          {"log|datagram|" + name.to_string()});
    LocalDatagram client = LocalDatagram::autobind();
    // Sent until the socket exists; the first datagram that arrives starts the role.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    std::error_code ec;
    do {
        client.send_to(name, "ping", ec);
        if (ec)
            std::this_thread::sleep_for(10ms);
    } while (ec && std::chrono::steady_clock::now() < deadline);
    REQUIRE_MESSAGE(!ec, error_message(ec));
    char answer[64] = {};
    LocalSocketName sender;
    const std::size_t n = client.receive_from(MutableBuffer(answer, sizeof answer), sender).bytes;
    CHECK(std::string(answer, n) == "pong:log");
    CHECK(sender == name);
    CHECK(child.wait() == 0);
}

TEST_CASE("activation: -a (Accept=yes) gives the connection as a LocalStream") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("activate-accept");
    // systemd names it "connection"; Debian 12's systemd-socket-activate (252)
    // sets no LISTEN_FDNAMES for it, so "unknown" there. The role reports the
    // name it got; it must be one of those, and the socket a connected stream.
    {
        auto launcher = activate({"-a", "-l", name.to_string()}, {"*|stream|"});
        const std::string answer = stream_round_trip(name);
        // systemd-socket-activate keeps accepting: the ChildProcess ends it.
        CHECK((answer == "pong:connection" || answer == "pong:unknown"));
    }
}

TEST_CASE("activation: not socket-activated, or for another process: an empty set, nothing touched") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    const testing::ChildProcess::Options inherit{.descriptors = {{a.native_handle(), 3}, {b.native_handle(), 4}}};
    const std::vector<testing::RoleArguments> cases = {
        {"expect=empty", "untouched=2"},
        {"LISTEN_PID=1", "LISTEN_FDS=2", "expect=empty", "untouched=2"},
        {"LISTEN_FDS=2", "LISTEN_FDNAMES=a:b", "expect=empty", "untouched=2"},
        {"LISTEN_PID=self", "expect=empty", "untouched=2"},
        {"LISTEN_PID=self", "LISTEN_FDS=0", "expect=empty", "untouched=2"},
        // systemd 256+ names the process by its pidfd too: the right pid and
        // another process's pidfd (a recycled pid) is not ours. (Without
        // pidfs, as systemd, LISTEN_PID alone decides: then both take.)
        {"LISTEN_PID=self", "LISTEN_PIDFDID=self+1", "LISTEN_FDS=2", "expect=empty", "untouched=2"},
    };
    for (const auto& arguments : cases) {
        CAPTURE(arguments);
        if (arguments[1] == "LISTEN_PIDFDID=self+1" && own_pidfd_id() == 0) {
            MESSAGE("this kernel has no pidfs: LISTEN_PIDFDID cannot be checked (as in systemd)");
            continue;
        }
        CHECK(testing::ChildProcess::spawn("activation_environment", arguments, inherit).wait() == 0);
    }
}

TEST_CASE("activation: the matching LISTEN_PIDFDID, names with an empty one, any kind of descriptor") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    const LocalSocketName name = testing::unique_namespaced_name("activate-env");
    const LocalListener listener = LocalListener::bind(name);
    auto [read_end, write_end] = testing::make_pipe();
    const testing::ChildProcess::Options inherit{
        .descriptors = {{a.native_handle(), 3}, {listener.native_handle(), 4}, {read_end.get(), 5}}};
    CHECK(testing::ChildProcess::spawn("activation_environment",
                                       {"LISTEN_PID=self", "LISTEN_PIDFDID=self", "LISTEN_FDS=3",
                                        "LISTEN_FDNAMES=connection::pipe", "expect=take", "connection|stream|",
                                        "|stream-listener|" + name.to_string(), "pipe|other|"},
                                       inherit)
              .wait() == 0);
}

TEST_CASE("activation: a malformed environment or an unusable descriptor is an error that takes nothing") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    const OwnedHandle unconnected(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(unconnected);
    const testing::ChildProcess::Options inherit{.descriptors = {{a.native_handle(), 3}, {b.native_handle(), 4}}};
    const std::vector<testing::RoleArguments> cases = {
        {"LISTEN_PID=abc", "LISTEN_FDS=2", "what=LISTEN_PID='abc' is not a process id"},
        {"LISTEN_PID=-1", "LISTEN_FDS=2", "what=LISTEN_PID='-1' is not a process id"},
        {"LISTEN_PID=0", "LISTEN_FDS=2", "what=LISTEN_PID='0' is not a process id"},
        {"LISTEN_PID=self", "LISTEN_FDS=two", "what=LISTEN_FDS='two' is not a number"},
        {"LISTEN_PID=self", "LISTEN_FDS= 2", "what=LISTEN_FDS=' 2' is not a number"},
        {"LISTEN_PID=self", "LISTEN_FDS=99999999999999999999999", "what=is not a number"},
        {"LISTEN_PID=self", "LISTEN_FDS=2147483646", "what=more descriptors than a process has"},
        {"LISTEN_PID=self", "LISTEN_PIDFDID=x", "LISTEN_FDS=2", "what=LISTEN_PIDFDID='x' is not a pidfd id"},
        {"LISTEN_PID=self", "LISTEN_FDS=2", "LISTEN_FDNAMES=a",
         "what=LISTEN_FDNAMES='a' names 1 descriptors, LISTEN_FDS=2"},
        {"LISTEN_PID=self", "LISTEN_FDS=2", "LISTEN_FDNAMES=a:b:c",
         "what=LISTEN_FDNAMES='a:b:c' names 3 descriptors, LISTEN_FDS=2"},
        // More than there are: the third is not open (found at once, however
        // many LISTEN_FDS claims, nothing allocated for the rest).
        {"LISTEN_PID=self", "LISTEN_FDS=3", "what=descriptor 5 ('unknown') is not open"},
        {"LISTEN_PID=self", "LISTEN_FDS=2147483000", "what=descriptor 5 ('unknown') is not open"},
    };
    for (auto arguments : cases) {
        CAPTURE(arguments);
        arguments.insert(arguments.end(), {"expect=error", "untouched=2"});
        CHECK(testing::ChildProcess::spawn("activation_environment", arguments, inherit).wait() == 0);
    }
    // A local stream socket that neither listens nor is connected.
    const testing::ChildProcess::Options with_unconnected{
        .descriptors = {{a.native_handle(), 3}, {unconnected.get(), 4}}};
    CHECK(testing::ChildProcess::spawn(
              "activation_environment",
              {"LISTEN_PID=self", "LISTEN_FDS=2", "LISTEN_FDNAMES=ok:idle", "expect=error", "untouched=2",
               "what=descriptor 4 ('idle') is a local stream socket neither listening nor connected"},
              with_unconnected)
              .wait() == 0);
}

TEST_CASE("activation: the error-code form and the typed take<Socket>() of ActivatedSockets") {
    const testing::HandleLeakCheck leaks;
    // Not activated (the test process itself): empty, no error.
    std::error_code ec = make_error_code(std::errc::io_error);
    CHECK(take_activated_sockets(ec).empty());
    CHECK(!ec);

    const LocalSocketName name = testing::unique_namespaced_name("activate-take");
    std::vector<ActivatedSocket> list;
    list.push_back({"web", LocalListener::bind(name)});
    list.push_back({"log", LocalDatagram::autobind()});
    list.push_back({"web", OwnedHandle(testing::file_with("x"))});
    ActivatedSockets sockets(std::move(list));
    CHECK(sockets.take<LocalListener>("admin").empty());
    CHECK(sockets.size() == 3);
    const std::vector<LocalListener> listeners = sockets.take<LocalListener>("web");
    REQUIRE(listeners.size() == 1);
    CHECK(listeners[0].local_name() == name);
    CHECK(sockets.size() == 2);
    CHECK(sockets.take<OwnedHandle>().size() == 1);
    CHECK(sockets.take<LocalDatagram>().size() == 1);
    CHECK(sockets.empty());
}

TEST_CASE("activation: take_launchd_sockets is not_supported outside macOS") {
    std::error_code ec;
    CHECK(take_launchd_sockets("Listeners", ec).empty());
    CHECK(ec == std::errc::not_supported);
    CHECK_THROWS_WITH_AS(take_launchd_sockets("Listeners"),
                         "localsock: take launchd sockets 'Listeners': Operation not supported", std::system_error);
}

} // TEST_SUITE
