// Binding to names (bind_name.hpp): listeners publish from a private
// directory, datagram sockets bind in place; both reclaim by atomic exchange.
#include "bind_name.hpp"

#include "descriptor.hpp"
#include "private_directory.hpp"

#include <localsock/error.hpp>

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

namespace localsock::posix {
namespace {

// A reclaim that keeps losing races gives up rather than spin.
constexpr int max_attempts = 8;

mode_t mode_bits(std::filesystem::perms mode) noexcept { return static_cast<mode_t>(mode) & 07777; }

std::string parent_path_of(const std::string& path) {
    const std::size_t slash = path.find_last_of('/');
    if (slash == std::string::npos)
        return ".";
    return path.substr(0, slash); // "" for "/x": the address becomes "/.lsXXXXXX/s"
}

void record(std::optional<SocketFile>& own_file, OwnedHandle directory, std::string entry, FileIdentity identity) {
    own_file.emplace();
    own_file->directory = std::move(directory);
    own_file->entry = std::move(entry);
    own_file->identity = identity;
    own_file->creator = ::getpid();
}

// --- listeners ---------------------------------------------------------------

// Moves the listening socket at `private_dir`/entry to `entry` of `directory`.
bool publish(int directory, const std::string& entry, PrivateDirectory& private_dir, bool reclaim,
             std::error_code& ec) noexcept {
    for (int attempt = 0; attempt < max_attempts; ++attempt) {
        if (rename_no_replace(private_dir.get(), PrivateDirectory::entry, directory, entry.c_str()) == 0)
            return true;
        if (errno != EEXIST) {
            ec = last_error();
            return false;
        }
        if (!reclaim)
            break;
        const std::optional<FileIdentity> there = socket_file_at(directory, entry.c_str());
        if (!there) {
            if (errno == ENOENT) // removed meanwhile: try again
                continue;
            break; // not a socket: never touched
        }
        if (!is_stale_socket_file(directory, entry.c_str(), *there))
            break;
        switch (replace_stale(directory, entry.c_str(), *there, private_dir.get(), PrivateDirectory::entry, ec)) {
        case Replaced::yes:
            return true; // the dead file now sits in the private directory, which goes
        case Replaced::no_longer_there:
            continue;
        case Replaced::not_stale:
            if (ec)
                return false;
            continue; // someone else won: the next probe finds their live socket
        }
    }
    ec = std::make_error_code(std::errc::address_in_use);
    return false;
}

bool bind_listening_file(int fd, const std::string& path, const std::optional<std::filesystem::perms>& mode,
                         bool reclaim, int backlog, std::optional<SocketFile>& own_file,
                         std::error_code& ec) noexcept {
    OwnedHandle directory;
    std::string entry;
    if (!open_parent_directory(path, directory, entry, ec))
        return false;
    PrivateDirectory private_dir;
    SocketAddress address;
    try {
        if (!private_dir.create(directory.get(), ec) || !private_dir.address(parent_path_of(path), address, ec))
            return false;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return false;
    }
    if (::bind(fd, address.get(), address.length) != 0) {
        ec = last_error();
        return false;
    }
    // Our socket must be in our directory: had someone swapped the directory
    // path for one of theirs, bind() went there, and we stop.
    const std::optional<FileIdentity> created = socket_file_at(private_dir.get(), PrivateDirectory::entry);
    if (!created) {
        ec = last_error();
        return false;
    }
    // Nobody else can enter the private directory, so this chmod cannot be
    // turned onto another file.
    if (mode && ::fchmodat(private_dir.get(), PrivateDirectory::entry, mode_bits(*mode), 0) != 0) {
        ec = last_error();
        return false;
    }
    if (::listen(fd, backlog) != 0) {
        ec = last_error();
        return false;
    }
    if (!publish(directory.get(), entry, private_dir, reclaim, ec))
        return false;
    try {
        record(own_file, std::move(directory), std::move(entry), *created);
    } catch (const std::bad_alloc&) { // cannot happen: the strings only move
        ec = std::make_error_code(std::errc::not_enough_memory);
        return false;
    }
    return true;
}

// --- datagram sockets ----------------------------------------------------------

// The process umask, read without changing it (Linux 4.7+); nullopt elsewhere.
std::optional<mode_t> current_umask() noexcept {
    const OwnedHandle status(retry_on_eintr([] { return ::open("/proc/self/status", O_RDONLY | O_CLOEXEC); }));
    if (!status.valid())
        return std::nullopt;
    char text[4096];
    const ssize_t length = retry_on_eintr([&] { return ::read(status.get(), text, sizeof text - 1); });
    if (length <= 0)
        return std::nullopt;
    text[length] = '\0';
    const char* field = std::strstr(text, "\nUmask:");
    if (field == nullptr)
        return std::nullopt;
    return static_cast<mode_t>(std::strtoul(field + 7, nullptr, 8));
}

struct ZeroUmaskBind {
    int fd;
    const SocketAddress* address;
    int result = -1;
    int error = 0;
};

// A thread with its own umask (unshare(CLONE_FS) gives it a private copy of
// the process's file-system attributes): umask(0) there changes nothing for
// the other threads, which may be creating files right now.
void* bind_with_zero_umask(void* argument) noexcept {
    auto* call = static_cast<ZeroUmaskBind*>(argument);
#if defined(__linux__)
    if (::unshare(CLONE_FS) != 0) {
        call->error = errno;
        return nullptr;
    }
    ::umask(0);
    call->result = ::bind(call->fd, call->address->get(), call->address->length);
    call->error = errno;
#else
    call->error = ENOTSUP;
#endif
    return nullptr;
}

// bind(), the file born with exactly the socket's own mode (set by fchmod
// before): Linux creates a socket file with the socket inode's mode less the
// umask. Returns bind's result with errno.
int bind_born_exact(int fd, const SocketAddress& address, mode_t mode) noexcept {
    const std::optional<mode_t> mask = current_umask();
    if (mask && (*mask & mode) == 0)
        return ::bind(fd, address.get(), address.length);
    ZeroUmaskBind call{fd, &address};
    pthread_t thread;
    if (const int error = ::pthread_create(&thread, nullptr, bind_with_zero_umask, &call); error != 0) {
        errno = error;
        return -1;
    }
    ::pthread_join(thread, nullptr);
    errno = call.error;
    return call.result;
}

// Swaps the stale socket file at `entry` for a placeholder (so the path is
// never empty while a live socket could be lost), then removes the
// placeholder: the next bind() finds the path free, or someone else's new socket.
Replaced clear_stale(int directory, const std::string& entry, FileIdentity stale, std::error_code& ec) noexcept {
    PrivateDirectory private_dir;
    if (!private_dir.create(directory, ec))
        return Replaced::not_stale;
    const OwnedHandle placeholder(retry_on_eintr([&] {
        return ::openat(private_dir.get(), PrivateDirectory::entry, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        0600);
    }));
    if (!placeholder.valid()) {
        ec = last_error();
        return Replaced::not_stale;
    }
    const std::optional<FileIdentity> ours = file_at(private_dir.get(), PrivateDirectory::entry);
    if (!ours) {
        ec = last_error();
        return Replaced::not_stale;
    }
    const Replaced replaced =
        replace_stale(directory, entry.c_str(), stale, private_dir.get(), PrivateDirectory::entry, ec);
    if (replaced == Replaced::yes) {
        // A regular file: no reclaimer touches it, no bind replaces it; only
        // its owner (us) could have moved it since.
        const std::optional<FileIdentity> there = file_at(directory, entry.c_str());
        if (there && *there == *ours)
            ::unlinkat(directory, entry.c_str(), 0);
    }
    return replaced;
}

bool bind_datagram_file(int fd, const LocalSocketName& name, const std::optional<std::filesystem::perms>& mode,
                        bool reclaim, std::optional<SocketFile>& own_file, std::error_code& ec) noexcept {
    OwnedHandle directory;
    std::string entry;
    if (!open_parent_directory(name.value(), directory, entry, ec))
        return false;
    const SocketAddress address = to_address(name);
    if (mode && ::fchmod(fd, mode_bits(*mode)) != 0) {
        ec = last_error();
        return false;
    }
    for (int attempt = 0;; ++attempt) {
        const int result =
            mode ? bind_born_exact(fd, address, mode_bits(*mode)) : ::bind(fd, address.get(), address.length);
        if (result == 0)
            break;
        if (errno != EADDRINUSE) {
            ec = last_error();
            return false;
        }
        std::optional<FileIdentity> there;
        if (reclaim && attempt < max_attempts)
            there = socket_file_at(directory.get(), entry.c_str());
        if (!there && reclaim && attempt < max_attempts && errno == ENOENT)
            continue;
        if (!there || !is_stale_socket_file(directory.get(), entry.c_str(), *there)) {
            ec = std::make_error_code(std::errc::address_in_use);
            return false;
        }
        if (clear_stale(directory.get(), entry, *there, ec) == Replaced::not_stale && ec)
            return false;
    }
    // Right after bind: only someone able to rename our file could make this
    // name another one (and then only that file's removal is at stake).
    const std::optional<FileIdentity> created = socket_file_at(directory.get(), entry.c_str());
    if (created) {
        try {
            record(own_file, std::move(directory), std::move(entry), *created);
        } catch (const std::bad_alloc&) {
            ec = std::make_error_code(std::errc::not_enough_memory);
            return false;
        }
    }
    return true;
}

} // namespace

bool bind_to_name(int fd, const LocalSocketName& name, const std::optional<std::filesystem::perms>& mode,
                  bool reclaim, std::optional<int> listen_backlog, std::optional<SocketFile>& own_file,
                  std::error_code& ec) noexcept {
    if (name.is_filesystem()) {
        try {
            return listen_backlog ? bind_listening_file(fd, name.value(), mode, reclaim, *listen_backlog, own_file, ec)
                                  : bind_datagram_file(fd, name, mode, reclaim, own_file, ec);
        } catch (const std::bad_alloc&) {
            ec = std::make_error_code(std::errc::not_enough_memory);
            return false;
        }
    }
    // The abstract namespace has no permissions at all: a mode would be a
    // promise nobody keeps. (Check peer_credentials() instead.)
    if (mode) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return false;
    }
    const SocketAddress address = to_address(name);
    if (::bind(fd, address.get(), address.length) != 0 || (listen_backlog && ::listen(fd, *listen_backlog) != 0)) {
        ec = last_error();
        return false;
    }
    return true;
}

} // namespace localsock::posix
