// IPC tests (POSIX): socket files — removal, modes, stale reclaim — and adopted listeners.
#include <doctest/doctest.h>

#include "../support/process.hpp"
#include "../support/resources.hpp"
#include "socket_files.hpp"

#include <localsock/localsock.hpp>

#include <array>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using namespace localsock;
namespace fs = std::filesystem;
using testing::posix::leave_stale_socket_file;
using testing::posix::lstat_of;

namespace {

class UmaskScope {
public:
    explicit UmaskScope(mode_t mask) : saved_(::umask(mask)) {}
    ~UmaskScope() { ::umask(saved_); }

private:
    mode_t saved_;
};

} // namespace

// Child: adopt the listening socket inherited as descriptor 3 (the systemd
// convention, LISTEN_FDS=1), check its name, and serve one client.
CHILD_ROLE(adopted_server) {
    CHILD_REQUIRE(std::getenv("LISTEN_FDS") != nullptr && std::string(std::getenv("LISTEN_FDS")) == "1");
    LocalListener listener = LocalListener::adopt(OwnedHandle(3));
    CHILD_REQUIRE(listener.local_name() == LocalSocketName::parse(args.at(0)));
    LocalStream client = listener.accept();
    client.write_all("served by the adopted listener");
    return 0;
}

TEST_SUITE("ipc") {

TEST_CASE("listener: the socket file is removed on close, only if it is still ours") {
    const testing::HandleLeakCheck leaks;
    const testing::TempDir dir;
    const fs::path path = dir / "server.sock";
    SUBCASE("removed") {
        { const LocalListener listener = LocalListener::bind(LocalSocketName::filesystem(path)); }
        CHECK_FALSE(fs::exists(fs::symlink_status(path)));
    }
    SUBCASE("replaced by someone else: left alone") {
        {
            const LocalListener listener = LocalListener::bind(LocalSocketName::filesystem(path));
            fs::remove(path);
            leave_stale_socket_file(path); // another socket now holds the path
        }
        CHECK(fs::is_socket(path));
    }
    SUBCASE("released: left alone") {
        LocalListener listener = LocalListener::bind(LocalSocketName::filesystem(path));
        const OwnedHandle socket = listener.release();
        CHECK(socket.valid());
        CHECK_FALSE(listener.is_open());
        CHECK(fs::is_socket(path));
    }
}

TEST_CASE("listener: the socket file has exactly the requested mode") {
    const testing::HandleLeakCheck leaks;
    const testing::TempDir dir;
    const UmaskScope umask_022(022);
    SUBCASE("narrower than the umask allows") {
        const LocalListener l = LocalListener::bind(LocalSocketName::filesystem(dir / "private.sock"),
                                                    {.mode = fs::perms::owner_read | fs::perms::owner_write});
        CHECK((lstat_of(dir / "private.sock").st_mode & 07777) == 0600);
    }
    SUBCASE("wider than the umask allows") {
        const LocalListener l = LocalListener::bind(LocalSocketName::filesystem(dir / "shared.sock"),
                                                    {.mode = fs::perms{0660}});
        CHECK((lstat_of(dir / "shared.sock").st_mode & 07777) == 0660);
    }
    SUBCASE("unset: the umask decides") {
        const LocalListener l = LocalListener::bind(LocalSocketName::filesystem(dir / "default.sock"));
        CHECK((lstat_of(dir / "default.sock").st_mode & 07777) == 0755);
    }
}

TEST_CASE("listener: a stale socket file is reclaimed; a live server is never hijacked") {
    const testing::HandleLeakCheck leaks;
    const testing::TempDir dir;
    const fs::path path = dir / "service.sock";
    const LocalSocketName name = LocalSocketName::filesystem(path);
    std::error_code ec;

    SUBCASE("stale file, reclaim off: address_in_use") {
        leave_stale_socket_file(path);
        LocalListener::bind(name, ec);
        CHECK(ec == std::errc::address_in_use);
        CHECK(fs::is_socket(path));
    }
    SUBCASE("stale file, reclaim on: replaced and serving") {
        leave_stale_socket_file(path);
        LocalStream::connect(name, ec);
        CHECK(ec == std::errc::connection_refused); // really stale
        LocalListener listener = LocalListener::bind(name, {.reclaim_stale = true});
        CHECK_FALSE(fs::exists(fs::symlink_status(path.string() + ".lock"))); // no lock file
        LocalStream client = LocalStream::connect(name);
        LocalStream server = listener.accept();
        client.write_all("z");
        char z = 0;
        server.read_exact(MutableBuffer(&z, 1));
        CHECK(z == 'z');
    }
    SUBCASE("live server: refused, and its file untouched") {
        LocalListener live = LocalListener::bind(name);
        const ino_t live_inode = lstat_of(path).st_ino;
        const LocalListener intruder = LocalListener::bind(name, {.reclaim_stale = true}, ec);
        CHECK(ec == std::errc::address_in_use);
        CHECK_FALSE(intruder.is_open());
        CHECK(lstat_of(path).st_ino == live_inode);
        LocalStream client = LocalStream::connect(name);
        CHECK(live.accept().is_open()); // the live server still gets its clients
    }
    SUBCASE("not a socket: never deleted") {
        std::ofstream(path) << "precious";
        LocalListener::bind(name, {.reclaim_stale = true}, ec);
        CHECK(ec == std::errc::address_in_use);
        CHECK(fs::is_regular_file(path));
    }
}

TEST_CASE("listener: a socket path as long as an address allows binds, serves and goes") {
    // The private directory's name would not fit beside it: the bind goes
    // through /proc/self/fd instead.
    const testing::HandleLeakCheck leaks;
    const testing::TempDir dir;
    const std::size_t room = LocalSocketName::max_length(LocalSocketName::Kind::filesystem) - dir.path().string().size() - 1;
    const fs::path path = dir.path() / std::string(room, 'x');
    const LocalSocketName name = LocalSocketName::filesystem(path);
    {
        LocalListener listener = LocalListener::bind(name, {.mode = fs::perms{0640}, .reclaim_stale = true});
        CHECK((lstat_of(path).st_mode & 07777) == 0640);
        LocalStream client = LocalStream::connect(name);
        CHECK(listener.accept().is_open());
    }
    CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("listener: a child adopts an inherited listening descriptor") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("adopted");
    const LocalListener listener = LocalListener::bind(name);
    testing::ChildProcess::Options inherit;
    inherit.descriptors.emplace_back(listener.native_handle(), 3);
    inherit.environment.push_back("LISTEN_FDS=1");
    auto child = testing::ChildProcess::spawn("adopted_server", {name.to_string()}, inherit);

    LocalStream stream = LocalStream::connect(name);
    std::string greeting(30, '\0');
    stream.read_exact(buffer(greeting));
    CHECK(greeting == "served by the adopted listener");
    CHECK(child.wait() == 0);
}

TEST_CASE("listener: adopt refuses what is not a listening local socket") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    std::error_code ec;
    const LocalListener not_listening = LocalListener::adopt(a.release(), ec);
    CHECK(ec == errc::not_a_listener);
    CHECK_FALSE(not_listening.is_open());
    CHECK_THROWS_AS(LocalListener::adopt(OwnedHandle()), std::system_error);
}

} // TEST_SUITE
