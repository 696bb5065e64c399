#include "socket_file.hpp"

#include "descriptor.hpp"

#include <cstdio>
#include <new>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__linux__)
#include <linux/fs.h> // RENAME_NOREPLACE, RENAME_EXCHANGE
#include <stdio.h>    // renameat2
#endif

namespace localsock::posix {
namespace {

std::optional<FileIdentity> socket_identity(const struct stat& st) noexcept {
    if (!S_ISSOCK(st.st_mode)) {
        errno = ENOTSOCK;
        return std::nullopt;
    }
    return FileIdentity{st.st_dev, st.st_ino};
}

} // namespace

std::optional<FileIdentity> socket_file_at(int directory, const char* entry) noexcept {
    struct stat st {};
    if (::fstatat(directory, entry, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return std::nullopt;
    return socket_identity(st);
}

std::optional<FileIdentity> file_at(int directory, const char* entry) noexcept {
    struct stat st {};
    if (::fstatat(directory, entry, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return std::nullopt;
    return FileIdentity{st.st_dev, st.st_ino};
}

bool open_parent_directory(const std::string& path, OwnedHandle& directory, std::string& entry,
                           std::error_code& ec) noexcept {
    const std::size_t slash = path.find_last_of('/');
    try {
        entry = slash == std::string::npos ? path : path.substr(slash + 1);
        const std::string parent = slash == std::string::npos ? std::string(".")
                                   : slash == 0                ? std::string("/")
                                                               : path.substr(0, slash);
        if (entry.empty() || entry == "." || entry == "..") { // "dir/": no file name to create
            ec = std::make_error_code(std::errc::invalid_argument);
            return false;
        }
        const int fd = retry_on_eintr(
            [&] { return ::open(parent.c_str(), path_only | O_DIRECTORY | O_CLOEXEC); });
        if (fd < 0) {
            ec = last_error();
            return false;
        }
        directory.reset(fd);
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return false;
    }
    return true;
}

void SocketFile::remove() noexcept {
    if (!directory.valid())
        return;
    // A forked child that inherited the socket closes its copy: the parent's
    // socket still serves, so its file stays.
    if (::getpid() == creator) {
        const std::optional<FileIdentity> now = socket_file_at(directory.get(), entry.c_str());
        // Checked, then removed by name: between the two only someone who may
        // rename our file (its owner, or anyone in a directory without the
        // sticky bit, who could unlink it directly anyway) can swap it.
        if (now && *now == identity)
            ::unlinkat(directory.get(), entry.c_str(), 0);
    }
    forget();
}

void SocketFile::forget() noexcept { directory.reset(); }

bool is_stale_socket_file(int directory, const char* entry, FileIdentity identity) noexcept {
    // Probe the very inode we identified, not whatever the name resolves to
    // by the time connect() looks it up (it would follow a planted link).
    const int file = retry_on_eintr(
        [&] { return ::openat(directory, entry, path_only | O_NOFOLLOW | O_CLOEXEC); });
    if (file < 0)
        return false;
    const OwnedHandle owned(file);
    struct stat st {};
    if (::fstat(file, &st) != 0) // O_PATH descriptors allow fstat
        return false;
    const std::optional<FileIdentity> now = socket_identity(st);
    if (!now || !(*now == identity))
        return false;
    std::error_code ec;
    // A datagram connect: it never waits, never enqueues anything at a live
    // server (a stream probe would leave an empty connection in its accept
    // queue, or answer EAGAIN to a full backlog), and is refused only where
    // no socket of any type is bound to the inode (a live stream or seqpacket
    // socket answers EPROTOTYPE, a live datagram socket accepts).
    const OwnedHandle probe = open_socket(SOCK_DGRAM, ec);
    if (ec)
        return false;
    SocketAddress address;
    address.storage.sun_family = AF_UNIX;
    const int length = std::snprintf(address.storage.sun_path, sizeof address.storage.sun_path, "/proc/self/fd/%d", file);
    if (length <= 0 || static_cast<std::size_t>(length) >= sizeof address.storage.sun_path)
        return false;
    address.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + static_cast<std::size_t>(length) + 1);
    const int result = retry_on_eintr([&] { return ::connect(probe.get(), address.get(), address.length); });
    // Without /proc (ENOENT) nothing is proved: a live server is never hijacked.
    return result != 0 && errno == ECONNREFUSED;
}

int rename_no_replace(int from_directory, const char* from, int to_directory, const char* to) noexcept {
#if defined(RENAME_NOREPLACE)
    const int result = ::renameat2(from_directory, from, to_directory, to, RENAME_NOREPLACE);
    if (result == 0 || (errno != EINVAL && errno != ENOSYS))
        return result;
#endif
    // A file system without RENAME_NOREPLACE: link() never replaces either.
    if (::linkat(from_directory, from, to_directory, to, 0) != 0)
        return -1;
    ::unlinkat(from_directory, from, 0);
    return 0;
}

Replaced replace_stale(int directory, const char* entry, FileIdentity stale, int private_directory,
                       const char* ours, std::error_code& ec) noexcept {
#if defined(RENAME_EXCHANGE)
    if (::renameat2(private_directory, ours, directory, entry, RENAME_EXCHANGE) != 0) {
        if (errno == ENOENT) // gone since we looked: bind afresh
            return Replaced::no_longer_there;
        ec = last_error();
        return Replaced::not_stale;
    }
    const std::optional<FileIdentity> taken = socket_file_at(private_directory, ours);
    if (taken && *taken == stale)
        return Replaced::yes;
    // Someone replaced the stale file between our probe and the swap (another
    // reclaimer that won): give theirs back at once, atomically again.
    if (::renameat2(private_directory, ours, directory, entry, RENAME_EXCHANGE) != 0)
        rename_no_replace(private_directory, ours, directory, entry);
    return Replaced::not_stale;
#else
    // Without an atomic exchange a stale file cannot be replaced without a
    // moment in which a live one could be lost.
    (void)directory, (void)entry, (void)stale, (void)private_directory, (void)ours;
    ec = std::make_error_code(std::errc::not_supported);
    return Replaced::not_stale;
#endif
}

} // namespace localsock::posix
