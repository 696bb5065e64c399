#include "socket_file.hpp"

#include "descriptor.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace localsock::posix {

std::optional<FileIdentity> identify_socket_file(const std::string& path) noexcept {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode))
        return std::nullopt;
    return FileIdentity{st.st_dev, st.st_ino};
}

void remove_socket_file_if_same(const std::string& path, FileIdentity created) noexcept {
    const std::optional<FileIdentity> now = identify_socket_file(path);
    if (now && now->device == created.device && now->inode == created.inode)
        ::unlink(path.c_str());
}

bool restrict_mode_before_bind(int socket, std::filesystem::perms mode, std::error_code& ec) noexcept {
#if defined(__linux__)
    // Linux creates the socket file with the socket inode's mode less the
    // umask, and fchmod sets that inode's mode: the file is born restricted.
    if (::fchmod(socket, static_cast<mode_t>(mode) & 07777) != 0) {
        ec = last_error();
        return false;
    }
    return true;
#else
    // BSD and macOS ignore a socket's own mode at bind(). Doing this safely
    // there needs a private directory and a rename; until that exists, say so
    // rather than leave a window.
    (void)socket;
    (void)mode;
    ec = std::make_error_code(std::errc::not_supported);
    return false;
#endif
}

bool apply_mode_after_bind(const std::string& path, std::filesystem::perms mode, std::error_code& ec) noexcept {
    if (::chmod(path.c_str(), static_cast<mode_t>(mode) & 07777) != 0) {
        ec = last_error();
        return false;
    }
    return true;
}

bool is_stale_socket(const std::string& path, const SocketAddress& address) noexcept {
    if (!identify_socket_file(path))
        return false;
    std::error_code ec;
    // Non-blocking, so a live server with a full backlog answers EAGAIN
    // instead of making us wait; only a refusal proves nobody listens.
    OwnedHandle probe = open_socket(SOCK_STREAM, ec);
    if (ec || !set_nonblocking(probe.get(), true, ec))
        return false;
    const int result = retry_on_eintr([&] { return ::connect(probe.get(), address.get(), address.length); });
    return result != 0 && errno == ECONNREFUSED;
}

ReclaimLock ReclaimLock::acquire(const std::string& socket_path, std::error_code& ec) noexcept {
    ReclaimLock lock;
    std::string lock_path;
    try {
        lock_path = socket_path + ".lock";
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return lock;
    }
    const int fd = retry_on_eintr([&] { return ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600); });
    if (fd < 0) {
        ec = last_error();
        return lock;
    }
    lock.file_.reset(fd);
    if (retry_on_eintr([&] { return ::flock(fd, LOCK_EX); }) != 0) {
        ec = last_error();
        lock.file_.reset();
    }
    return lock;
}

} // namespace localsock::posix
