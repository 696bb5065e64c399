// IPC tests (POSIX), hostile: socket files in directories other users can
// write. The tests run as root; the attacker is a child process that drops to
// uid/gid 65534 (nobody) and races the binds with symlinks and renames.
#include <doctest/doctest.h>

#include "../support/process.hpp"
#include "../support/resources.hpp"
#include "socket_files.hpp"
#include "../support/thread.hpp"

#include <localsock/localsock.hpp>

#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>

#include <fcntl.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace localsock;
namespace fs = std::filesystem;
using testing::posix::leave_stale_socket_file;
using testing::posix::lstat_of;
using namespace std::chrono_literals;

namespace {

constexpr uid_t nobody = 65534;

void become_nobody() {
    CHILD_REQUIRE(::setgroups(0, nullptr) == 0);
    CHILD_REQUIRE(::setgid(nobody) == 0);
    CHILD_REQUIRE(::setuid(nobody) == 0);
}

bool running_as_root() { return ::geteuid() == 0; }

// A directory anyone may write: sticky (like /tmp) or not.
void share(const testing::TempDir& dir, bool sticky) {
    REQUIRE(::chmod(dir.path().c_str(), sticky ? 01777 : 0777) == 0);
}

// Nothing of ours is left in `dir` but `expected` entries.
std::size_t entries_in(const fs::path& dir) {
    std::size_t count = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir))
        ++count;
    return count;
}

// Reaches the server behind `name` and checks it answers this very listener.
void check_serves(LocalListener& listener, const LocalSocketName& name) {
    LocalStream client = LocalStream::connect(name);
    LocalStream server = listener.accept();
    client.write_all("!");
    char c = 0;
    server.read_exact(MutableBuffer(&c, 1));
    CHECK(c == '!');
}

class CwdScope {
public:
    CwdScope() : saved_(fs::current_path()) {}
    ~CwdScope() { fs::current_path(saved_); }

private:
    fs::path saved_;
};

} // namespace

// Attacker: forever swaps `path` for a symlink to `target` (atomically, by
// renaming a fresh link over whatever the path holds), as fast as it can.
CHILD_ROLE(symlink_swapper) {
    become_nobody();
    const std::string path = args.at(0);
    const std::string target = args.at(1);
    const std::string link = path + ".evil";
    for (;;) {
        ::unlink(link.c_str());
        if (::symlink(target.c_str(), link.c_str()) == 0)
            ::rename(link.c_str(), path.c_str());
    }
}

// Attacker: holds an exclusive flock on `path` (creating it) until killed.
CHILD_ROLE(lock_holder) {
    become_nobody();
    const int fd = ::open(args.at(0).c_str(), O_RDWR | O_CREAT, 0644);
    CHILD_REQUIRE(fd >= 0);
    CHILD_REQUIRE(::flock(fd, LOCK_EX) == 0);
    for (;;)
        ::pause();
}

// Another user binds `path` with reclaim_stale, serves one check, closes.
CHILD_ROLE(nobody_binds) {
    become_nobody();
    std::error_code ec;
    const LocalSocketName name = LocalSocketName::filesystem(args.at(0));
    {
        LocalListener listener = LocalListener::bind(name, {.reclaim_stale = true}, ec);
        if (ec) {
            std::fprintf(stderr, "nobody_binds: %s\n", ec.message().c_str());
            return 1;
        }
        LocalStream client = LocalStream::connect(name);
        CHILD_REQUIRE(listener.accept().is_open());
    }
    CHILD_REQUIRE(!fs::exists(fs::symlink_status(args.at(0))));
    return 0;
}

// Another user's view of a root daemon's live 0600 socket: reclaim must say
// address_in_use, not the probe's "Permission denied".
CHILD_ROLE(nobody_reclaims_live) {
    become_nobody();
    std::error_code ec;
    LocalListener::bind(LocalSocketName::filesystem(args.at(0)), {.reclaim_stale = true}, ec);
    CHILD_REQUIRE(ec == std::errc::address_in_use);
    return 0;
}

TEST_SUITE("ipc") {

TEST_CASE("hostile files: mode is never applied to another file under a symlink-swapping attacker") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root to run the attacker as another user");
        return;
    }
    const testing::HandleLeakCheck leaks;
    const testing::TempDir shared;
    const testing::TempDir private_dir;
    share(shared, false); // the attacker may rename over our files
    const fs::path victim = private_dir / "secret";
    std::ofstream(victim) << "root only";
    REQUIRE(::chmod(victim.c_str(), 0600) == 0);
    const struct stat before = lstat_of(victim);

    const fs::path path = shared / "service.sock";
    const LocalSocketName name = LocalSocketName::filesystem(path);
    auto attacker = testing::ChildProcess::spawn("symlink_swapper", {path.string(), victim.string()});

    int bound = 0;
    const auto deadline = std::chrono::steady_clock::now() + 8s;
    for (int i = 0; i < 2000 && std::chrono::steady_clock::now() < deadline; ++i) {
        std::error_code ec;
        // The attacker's link usually holds the path: that is address_in_use,
        // never a chmod through the link.
        ::unlink(path.c_str());
        if (i % 2 == 0) {
            const LocalListener listener = LocalListener::bind(name, {.mode = fs::perms{0666}}, ec);
            bound += listener.is_open();
        } else {
            const LocalDatagram datagram = LocalDatagram::bind(name, {.mode = fs::perms{0666}}, ec);
            bound += datagram.is_open();
        }
        const struct stat now = lstat_of(victim);
        if ((now.st_mode & 07777) != (before.st_mode & 07777)) {
            FAIL_CHECK("the victim's mode changed on try " << i);
            break;
        }
    }
    MESSAGE(bound << " binds succeeded under attack");
    const struct stat after = lstat_of(victim);
    CHECK((after.st_mode & 07777) == 0600);
    CHECK(after.st_uid == before.st_uid);
    CHECK(after.st_gid == before.st_gid);
}

TEST_CASE("hostile files: a listener binds through its private directory's descriptor, never its path text") {
    // In a directory without the sticky bit another user may rename the
    // private directory and put a link in its place between mkdirat and
    // bind; a bind by the path's text would then create root's socket file
    // wherever the link points. That window is too narrow to win on demand,
    // so this checks the mechanism that closes it: the kernel address the
    // socket was bound to names the directory by descriptor (Linux).
#if defined(__linux__)
    const testing::HandleLeakCheck leaks;
    const testing::TempDir shared;
    share(shared, false);
    const LocalSocketName name = LocalSocketName::filesystem(shared / "service.sock");
    LocalListener listener = LocalListener::bind(name, {.mode = fs::perms{0600}});
    sockaddr_un bound{};
    socklen_t length = sizeof bound;
    REQUIRE(::getsockname(listener.native_handle(), reinterpret_cast<sockaddr*>(&bound), &length) == 0);
    CHECK(std::string_view(bound.sun_path).starts_with("/proc/self/fd/"));
    check_serves(listener, name);
#else
    MESSAGE("skipped: descriptor-relative bind is Linux-only");
#endif
}

TEST_CASE("hostile files: reclaim follows no planted link and leaves no lock file") {
    const testing::HandleLeakCheck leaks;
    const testing::TempDir shared;
    const testing::TempDir elsewhere;
    const fs::path path = shared / "service.sock";
    const fs::path planted_target = elsewhere / "created-by-root";
    fs::create_symlink(planted_target, path.string() + ".lock");
    leave_stale_socket_file(path);
    {
        LocalListener listener = LocalListener::bind(LocalSocketName::filesystem(path), {.reclaim_stale = true});
        check_serves(listener, LocalSocketName::filesystem(path));
    }
    CHECK_FALSE(fs::exists(fs::symlink_status(planted_target)));
    CHECK_FALSE(fs::exists(fs::symlink_status(path)));
    fs::remove(path.string() + ".lock");
    CHECK(entries_in(shared.path()) == 0); // nothing left behind: no lock, no private directory
}

TEST_CASE("hostile files: another user holding a lock file cannot block a reclaiming bind") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root to run the attacker as another user");
        return;
    }
    const testing::HandleLeakCheck leaks;
    const testing::TempDir shared;
    share(shared, true);
    const fs::path path = shared / "service.sock";
    leave_stale_socket_file(path);
    auto attacker = testing::ChildProcess::spawn("lock_holder", {path.string() + ".lock"});
    for (int i = 0; i < 200 && !fs::exists(path.string() + ".lock"); ++i)
        std::this_thread::sleep_for(10ms);
    std::this_thread::sleep_for(100ms); // and flock()ed

    std::atomic<bool> done{false};
    std::error_code ec;
    LocalListener listener;
    testing::Thread binder([&] {
        listener = LocalListener::bind(LocalSocketName::filesystem(path), {.reclaim_stale = true}, ec);
        done = true;
    });
    for (int i = 0; i < 300 && !done; ++i)
        std::this_thread::sleep_for(10ms);
    CHECK(done.load()); // within 3 s, whatever the other user holds
    { const testing::ChildProcess release = std::move(attacker); } // killed: a blocked bind finishes now
    binder.join();
    CHECK_FALSE(ec);
    if (listener)
        check_serves(listener, LocalSocketName::filesystem(path));
}

TEST_CASE("hostile files: after a clean close another user can bind the path with reclaim_stale") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root to run the second user");
        return;
    }
    const testing::HandleLeakCheck leaks;
    const testing::TempDir shared;
    share(shared, true);
    const fs::path path = shared / "service.sock";
    {
        LocalListener listener = LocalListener::bind(LocalSocketName::filesystem(path), {.reclaim_stale = true});
        check_serves(listener, LocalSocketName::filesystem(path));
    }
    CHECK(entries_in(shared.path()) == 0);
    auto other_user = testing::ChildProcess::spawn("nobody_binds", {path.string()});
    CHECK(other_user.wait() == 0);
}

namespace {

// Two binds of one path started together, round after round, on two threads:
// `first` on this thread, `second` on a helper. Returns how many rounds had
// two winners; checks every other round had exactly one, which clients reach.
template <class Prepare, class First, class Second>
int race_binds(const LocalSocketName& name, int rounds, std::chrono::seconds budget, Prepare prepare, First first,
               Second second) {
    std::barrier sync(2);
    std::atomic<bool> stop{false};
    LocalListener second_listener;
    std::error_code second_ec;
    testing::Thread racer([&] {
        for (;;) {
            sync.arrive_and_wait(); // round starts
            if (stop)
                return;
            second_listener = second(second_ec);
            sync.arrive_and_wait(); // round ends
        }
    });
    int double_winners = 0;
    int played = 0;
    const auto deadline = std::chrono::steady_clock::now() + budget;
    for (; played < rounds && std::chrono::steady_clock::now() < deadline; ++played) {
        prepare();
        std::error_code first_ec;
        sync.arrive_and_wait();
        LocalListener first_listener = first(first_ec);
        sync.arrive_and_wait();
        if (first_listener.is_open() && second_listener.is_open()) {
            ++double_winners;
        } else {
            CHECK(first_listener.is_open() != second_listener.is_open()); // somebody wins
            LocalListener& winner = first_listener.is_open() ? first_listener : second_listener;
            try { // no exception may leave the helper thread waiting at the barrier
                if (winner.is_open())
                    check_serves(winner, name);
            } catch (const std::exception& e) {
                FAIL_CHECK("round " << played << ": " << std::string(e.what()));
                second_listener = LocalListener();
                break;
            }
            CHECK((first_listener.is_open() ? second_ec : first_ec) == std::errc::address_in_use);
        }
        second_listener = LocalListener();
    }
    stop = true;
    sync.arrive_and_wait();
    racer.join();
    MESSAGE(played << " rounds, " << double_winners << " with two winners");
    return double_winners;
}

} // namespace

TEST_CASE("hostile files: reclaim never unlinks a socket that is bound but not listening yet") {
    // A plain bind and a reclaiming bind race for a free path, 2,000 times.
    const testing::HandleLeakCheck leaks;
    const testing::TempDir dir;
    const LocalSocketName name = LocalSocketName::filesystem(dir / "race.sock");
    const int double_winners = race_binds(
        name, 2000, 20s, [] {}, [&](std::error_code& ec) { return LocalListener::bind(name, ec); },
        [&](std::error_code& ec) { return LocalListener::bind(name, {.reclaim_stale = true}, ec); });
    CHECK(double_winners == 0);
    CHECK(entries_in(dir.path()) == 0);
}

TEST_CASE("hostile files: a socket bound but not listening yet is never taken for stale") {
    // What any binder's socket is between its bind() and its listen(): a
    // stream connect is refused as by a dead one, but it is alive.
    const testing::HandleLeakCheck leaks;
    const testing::TempDir dir;
    const fs::path path = dir / "slow.sock";
    const LocalSocketName name = LocalSocketName::filesystem(path);
    const OwnedHandle slow(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(slow.valid());
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    REQUIRE(::bind(slow.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    const ino_t inode = lstat_of(path).st_ino;
    std::error_code ec;
    SUBCASE("listener") { LocalListener::bind(name, {.reclaim_stale = true}, ec); }
    SUBCASE("seqpacket listener") { LocalSeqpacketListener::bind(name, {.reclaim_stale = true}, ec); }
    CHECK(ec == std::errc::address_in_use);
    CHECK(lstat_of(path).st_ino == inode);
    REQUIRE(::listen(slow.get(), 4) == 0); // and now it serves, at its path
    LocalStream client = LocalStream::connect(name);
    CHECK(client.is_open());
}

TEST_CASE("hostile files: a reclaim probe leaves nothing in a live server's accept queue") {
    const testing::HandleLeakCheck leaks;
    const testing::TempDir dir;
    const LocalSocketName name = LocalSocketName::filesystem(dir / "live.sock");
    LocalListener live = LocalListener::bind(name, {.nonblocking = true});
    std::error_code ec;
    LocalListener::bind(name, {.reclaim_stale = true}, ec);
    CHECK(ec == std::errc::address_in_use);
    const LocalStream ghost = live.accept(ec); // a probe's connection would be waiting here
    CHECK(ec == std::errc::operation_would_block);
    CHECK_FALSE(ghost.is_open());
}

TEST_CASE("hostile files: two reclaimers of one stale file: exactly one wins") {
    const testing::HandleLeakCheck leaks;
    const testing::TempDir dir;
    const fs::path path = dir / "race.sock";
    const LocalSocketName name = LocalSocketName::filesystem(path);
    const auto reclaim = [&](std::error_code& ec) { return LocalListener::bind(name, {.reclaim_stale = true}, ec); };
    const int double_winners = race_binds(
        name, 500, 10s, [&] { leave_stale_socket_file(path); }, reclaim, reclaim);
    CHECK(double_winners == 0);
    CHECK(entries_in(dir.path()) == 0);
}

TEST_CASE("hostile files: a forked child closing its copy of a listener leaves the parent's socket file") {
    const testing::HandleLeakCheck leaks;
    const testing::TempDir dir;
    const fs::path path = dir / "parent.sock";
    const LocalSocketName name = LocalSocketName::filesystem(path);
    auto listener = std::make_unique<LocalListener>(LocalListener::bind(name));
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        listener.reset(); // the inherited copy goes, as in any forked worker
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(fs::is_socket(path));
    check_serves(*listener, name);
    listener.reset();
    CHECK_FALSE(fs::exists(fs::symlink_status(path))); // the binder still removes it
}

TEST_CASE("hostile files: a relative socket path is removed from its own directory after chdir") {
    const testing::HandleLeakCheck leaks;
    const testing::TempDir dir;
    const testing::TempDir other;
    const CwdScope restore_cwd;
    SUBCASE("listener") {
        fs::current_path(dir.path());
        std::optional<LocalListener> listener(LocalListener::bind(LocalSocketName::filesystem("relative.sock")));
        fs::current_path(other.path());
        leave_stale_socket_file(other / "relative.sock"); // a namesake where the text now points
        listener.reset();
    }
    SUBCASE("datagram") {
        fs::current_path(dir.path());
        std::optional<LocalDatagram> datagram(LocalDatagram::bind(LocalSocketName::filesystem("relative.sock")));
        fs::current_path(other.path());
        leave_stale_socket_file(other / "relative.sock");
        datagram.reset();
    }
    CHECK_FALSE(fs::exists(fs::symlink_status(dir / "relative.sock")));
    CHECK(fs::is_socket(other / "relative.sock"));
}

TEST_CASE("hostile files: reclaim over a live socket of any kind says address_in_use") {
    const testing::HandleLeakCheck leaks;
    const testing::TempDir dir;
    const fs::path path = dir / "live.sock";
    const LocalSocketName name = LocalSocketName::filesystem(path);
    std::error_code ec;
    SUBCASE("a live seqpacket listener (the probe would say wrong_protocol_type)") {
        const LocalSeqpacketListener live = LocalSeqpacketListener::bind(name);
        LocalListener::bind(name, {.reclaim_stale = true}, ec);
        CHECK(ec == std::errc::address_in_use);
        CHECK(LocalSeqpacket::connect(name).is_open());
    }
    SUBCASE("a live datagram socket") {
        const LocalDatagram live = LocalDatagram::bind(name);
        LocalListener::bind(name, {.reclaim_stale = true}, ec);
        CHECK(ec == std::errc::address_in_use);
        LocalDatagram::bind(name, {.reclaim_stale = true}, ec);
        CHECK(ec == std::errc::address_in_use);
        CHECK(fs::is_socket(path));
    }
    SUBCASE("a live listener with a full backlog (the probe would say would_block)") {
        LocalListener live = LocalListener::bind(name, {.backlog = 0});
        std::vector<OwnedHandle> queued;
        for (int i = 0; i < 64; ++i) { // fill the backlog
            const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            REQUIRE(fd >= 0);
            queued.emplace_back(fd);
            sockaddr_un address{};
            address.sun_family = AF_UNIX;
            std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
            if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 && errno == EAGAIN)
                break;
        }
        LocalListener::bind(name, {.reclaim_stale = true}, ec);
        CHECK(ec == std::errc::address_in_use);
        CHECK(fs::is_socket(path));
    }
    SUBCASE("another user's view of a 0600 socket (the probe would say permission_denied)") {
        if (!running_as_root())
            return;
        testing::TempDir shared;
        share(shared, true);
        const fs::path shared_path = shared / "daemon.sock";
        const LocalListener live =
            LocalListener::bind(LocalSocketName::filesystem(shared_path), {.mode = fs::perms{0600}});
        auto other_user = testing::ChildProcess::spawn("nobody_reclaims_live", {shared_path.string()});
        CHECK(other_user.wait() == 0);
        CHECK(fs::is_socket(shared_path));
    }
}

TEST_CASE("hostile files: a mode for a namespaced name is an error, never silently ignored") {
    const testing::HandleLeakCheck leaks;
    if (!LocalSocketName::supports(LocalSocketName::Kind::namespaced))
        return;
    const LocalSocketName name = testing::unique_namespaced_name("mode");
    std::error_code ec;
    LocalListener::bind(name, {.mode = fs::perms{0600}}, ec);
    CHECK(ec == std::errc::invalid_argument);
    LocalSeqpacketListener::bind(name, {.mode = fs::perms{0600}}, ec);
    CHECK(ec == std::errc::invalid_argument);
    LocalDatagram::bind(name, {.mode = fs::perms{0600}}, ec);
    CHECK(ec == std::errc::invalid_argument);
    CHECK_THROWS_AS(LocalListener::bind(name, {.mode = fs::perms{0600}}), std::system_error);
    CHECK(LocalListener::bind(name).is_open()); // without a mode: fine
}

TEST_CASE("hostile files: a datagram socket reclaims a crashed process's socket file") {
    const testing::HandleLeakCheck leaks;
    const testing::TempDir dir;
    const fs::path path = dir / "dgram.sock";
    const LocalSocketName name = LocalSocketName::filesystem(path);
    leave_stale_socket_file(path, SOCK_DGRAM);
    std::error_code ec;
    LocalDatagram::bind(name, ec);
    CHECK(ec == std::errc::address_in_use); // reclaim off: left alone
    {
        LocalDatagram server = LocalDatagram::bind(name, {.mode = fs::perms{0660}, .reclaim_stale = true});
        CHECK((lstat_of(path).st_mode & 07777) == 0660);
        LocalDatagram client = LocalDatagram::unbound();
        client.send_to(name, "ping");
        char text[8] = {};
        LocalSocketName sender;
        const ReceiveResult got = server.receive_from(MutableBuffer(text, sizeof text), sender);
        CHECK(std::string(text, got.bytes) == "ping");
        CHECK(server.local_name() == name);
    }
    CHECK(entries_in(dir.path()) == 0);
    SUBCASE("not a socket: never touched") {
        std::ofstream(path) << "precious";
        LocalDatagram::bind(name, {.reclaim_stale = true}, ec);
        CHECK(ec == std::errc::address_in_use);
        CHECK(fs::is_regular_file(path));
    }
}

} // TEST_SUITE
