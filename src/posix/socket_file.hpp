// Private: socket files in directories other users may write. Every call here
// works relative to a descriptor of the socket's directory (never the path's
// text again after binding, so a later chdir or a renamed ancestor changes
// nothing), never follows a symbolic link in the last component, and never
// takes a lock another user could hold.
#pragma once

#include "address.hpp"

#include <localsock/handle.hpp>

#include <optional>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <sys/types.h>

namespace localsock::posix {

// Flags that open a directory entry only to name it (fstat, *at calls,
// /proc/self/fd/N), never to read it: O_PATH where it exists.
#if defined(O_PATH)
inline constexpr int path_only = O_PATH;
#else
inline constexpr int path_only = O_RDONLY;
#endif

// Which file an entry named, so that we later touch only that file.
struct FileIdentity {
    dev_t device;
    ino_t inode;
    friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
};

// The socket file at `entry` of `directory` (a socket, not followed through a
// link), or nullopt with errno set (EADDRINUSE-free: ENOENT, or ENOTSOCK for
// anything that is not a socket).
std::optional<FileIdentity> socket_file_at(int directory, const char* entry) noexcept;

// The directory a socket path lives in (opened O_PATH, close-on-exec) and the
// path's last component. Symbolic links among the directories are followed:
// they are the caller's choice, fixed from here on.
bool open_parent_directory(const std::string& path, OwnedHandle& directory, std::string& entry,
                           std::error_code& ec) noexcept;

// A socket file this process put in place. Removed when its socket closes,
// and only by the process that created it (a forked child's copy of the
// socket leaves it alone), only while the entry still names that very file.
struct SocketFile {
    OwnedHandle directory;
    std::string entry;
    FileIdentity identity{};
    pid_t creator = 0;

    SocketFile() = default;
    SocketFile(const SocketFile&) = delete;
    SocketFile& operator=(const SocketFile&) = delete;
    ~SocketFile() { remove(); }
    void remove() noexcept;
    // The socket went to someone else (release()): the file stays.
    void forget() noexcept;
};

// The identity of whatever `entry` of `directory` is (not followed).
std::optional<FileIdentity> file_at(int directory, const char* entry) noexcept;

// True if the socket file at `entry` (still `identity`) is provably dead:
// a connect to that very inode is refused. A live server of any socket type,
// a full backlog or a file we may not connect to gives false.
bool is_stale_socket_file(int directory, const char* entry, FileIdentity identity) noexcept;

enum class Replaced { yes, no_longer_there, not_stale };

// Atomically swaps `ours` (an entry of our private directory) with the stale
// socket file `stale` at `entry` of `directory` (RENAME_EXCHANGE: the path
// never goes missing and is never unlinked). If the entry no longer held
// `stale` when swapped — another reclaimer won in between — the swap is undone
// and the result is not_stale. On yes, `stale` sits in the private directory
// under `ours`'s old name.
Replaced replace_stale(int directory, const char* entry, FileIdentity stale, int private_directory,
                       const char* ours, std::error_code& ec) noexcept;

// renameat2(RENAME_NOREPLACE): moves `from` into place only if nothing holds
// `to` (EEXIST otherwise), so binding never clobbers anything.
int rename_no_replace(int from_directory, const char* from, int to_directory, const char* to) noexcept;

} // namespace localsock::posix
