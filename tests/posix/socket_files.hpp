// Test helpers (POSIX): looking at socket files and leaving stale ones behind.
#pragma once

#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace testing::posix {

// What is at `path` itself (a link is not followed).
inline struct stat lstat_of(const std::filesystem::path& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st;
}

// A socket file whose server died: bound, never unlinked, nobody listening.
inline void leave_stale_socket_file(const std::filesystem::path& path, int type = SOCK_STREAM) {
    const int fd = ::socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    ::close(fd);
    REQUIRE(std::filesystem::is_socket(path));
}

} // namespace testing::posix
