// Private: the socket file of a filesystem-named listener — its mode, stale
// reclaim, and removal only while it is still ours.
#pragma once

#include "address.hpp"

#include <localsock/handle.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

#include <sys/types.h>

namespace localsock::posix {

// Which file a path referred to, so that we later remove only that file.
struct FileIdentity {
    dev_t device;
    ino_t inode;
};

std::optional<FileIdentity> identify_socket_file(const std::string& path) noexcept;
// Unlinks path if it still is the file `created` (a successor's socket or
// anything else that took the path is left alone).
void remove_socket_file_if_same(const std::string& path, FileIdentity created) noexcept;

// Before bind(): arrange for the socket file to be created with at most
// `mode` (the kernel also applies the umask). After bind(): set exactly
// `mode`, which can only widen what was created. Together there is no moment
// at which the file grants more than asked.
bool restrict_mode_before_bind(int socket, std::filesystem::perms mode, std::error_code& ec) noexcept;
bool apply_mode_after_bind(const std::string& path, std::filesystem::perms mode, std::error_code& ec) noexcept;

// True if path is a socket file on which nobody accepts (connect is refused):
// the leftover of a dead server. A live server, a full backlog, a missing
// path or a non-socket all give false.
bool is_stale_socket(const std::string& path, const SocketAddress& address) noexcept;

// An exclusive advisory lock on "<path>.lock" held while a listener checks,
// reclaims and binds path, so two reclaimers cannot both decide a path is
// stale and one delete the other's fresh socket. The lock file stays (as
// libwayland's does): deleting lock files reintroduces the race.
class ReclaimLock {
public:
    static ReclaimLock acquire(const std::string& socket_path, std::error_code& ec) noexcept;

private:
    OwnedHandle file_;
};

} // namespace localsock::posix
