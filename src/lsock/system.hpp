// lsock: what the command-line tool needs from the operating system beyond
// the library: standard input and output, descriptions of handles, child
// processes that inherit handles, facts about a socket file. One
// implementation per platform (src/posix/lsock, src/win32/lsock); everything
// under src/lsock is portable.
#pragma once

#include "handle_description.hpp"

#include <localsock/handle.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace lsock {

// Once, first thing: no SIGPIPE (a closed stdout is an error to report),
// binary standard streams.
void prepare_process() noexcept;

// A socket file this process created: removed if SIGINT, SIGTERM or SIGHUP
// ends the process (if the path still refers to that file), as the
// listener's destructor would have. POSIX; nothing to do on Windows.
void remove_on_termination(const std::filesystem::path& socket_file) noexcept;

// Standard input and output, unbuffered (the bytes go straight to the
// socket or come straight from it). read_stdin returns 0 at end of input.
std::size_t read_stdin(std::span<std::byte> buffer, std::error_code& ec) noexcept;
void write_stdout(std::span<const std::byte> bytes, std::error_code& ec) noexcept;

// --- handles to send --------------------------------------------------------
// A second owner of a descriptor (POSIX) or handle value (Windows) this
// process already holds, e.g. `3<file`; bad_file_descriptor if it has none.
localsock::OwnedHandle duplicate_own_handle(std::uint64_t value, std::error_code& ec) noexcept;
// The file at `path`, opened read-only (close-on-exec, not following a
// final symbolic link is not asked: the user named the path).
localsock::OwnedHandle open_file_for_sending(const std::string& path, std::error_code& ec) noexcept;

// --- handles received -------------------------------------------------------
HandleDescription describe_handle(localsock::BorrowedHandle handle);

// An open directory that received handles are saved into: opened once (not
// following a symbolic link), files created inside it by name only.
class SaveDirectory {
public:
    static SaveDirectory open(const std::string& path, std::error_code& ec) noexcept;
    SaveDirectory() = default;
    const std::string& path() const noexcept { return path_; }
    // How a file `name` in the directory is written on this platform.
    std::string file_path(const std::string& name) const;
    // Writes what `handle` holds (a file's or memfd's contents from offset 0,
    // a pipe's bytes up to its end) to a new file `name` in the directory.
    // Returns the bytes saved; not_supported for a handle with no contents to
    // read (a socket, a directory).
    std::uint64_t save(localsock::BorrowedHandle handle, const std::string& name, std::error_code& ec) noexcept;

private:
    localsock::OwnedHandle directory_;
    std::string path_;
};

// A child process running `argv` (argv[0] looked up in PATH) with `handles`
// as its descriptors 3, 4, … and LISTEN_FDS / LISTEN_PID set for them as
// systemd sets them (LISTEN_FDNAMES when `names` is not empty). Windows:
// the handles are inherited and listed in LSOCK_HANDLES (not_supported
// where that cannot be done).
struct ChildProcess {
    std::int64_t pid = -1;
    localsock::OwnedHandle process; // Windows: the process handle
};
ChildProcess spawn_with_handles(const std::vector<std::string>& argv, std::span<const localsock::BorrowedHandle> handles,
                                std::error_code& ec) noexcept;
// The child's exit status (128 + signal number if a signal ended it).
int wait_for(ChildProcess& child, std::error_code& ec) noexcept;
// The command line a shell runs: {"/bin/sh", "-c", command} / {"cmd", "/c", command}.
std::vector<std::string> shell_command(const std::string& command);

// --- info ---------------------------------------------------------------------
struct SocketFileFacts {
    bool exists = false;
    bool is_socket = false;
    std::string type;             // "socket", "regular file", "directory", "symbolic link", …
    std::uint32_t owner_uid = 0;
    std::uint32_t owner_gid = 0;
    std::uint32_t mode = 0;       // permission bits
};
SocketFileFacts socket_file_facts(const std::filesystem::path& path, std::error_code& ec) noexcept;
// The program running as `pid`, where the platform tells ("" otherwise).
std::string program_name(std::int64_t pid);
// The user name of `uid` (POSIX), "" if unknown.
std::string user_name(std::uint32_t uid);

// How many handles this process holds (LSOCK_CHECK_HANDLES=1: lsock checks
// at exit that it holds no more than at start).
std::size_t count_open_handles() noexcept;

} // namespace lsock
