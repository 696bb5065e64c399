// Test support: handle accounting and the OS objects tests pass around, behind
// one portable interface (support/posix/, support/win32/ implement it).
#pragma once

#include <localsock/handle.hpp>
#include <localsock/listener.hpp>
#include <localsock/name.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

namespace testing {

// Handles (descriptors) open in this process right now.
std::size_t count_open_handles();

// Put one at the top of every test that touches handles: on scope exit it
// checks that the process holds exactly as many handles as at the start.
class HandleLeakCheck {
public:
    HandleLeakCheck();
    ~HandleLeakCheck();
    HandleLeakCheck(const HandleLeakCheck&) = delete;
    HandleLeakCheck& operator=(const HandleLeakCheck&) = delete;

private:
    std::size_t at_start_;
};

// Unique within this machine for the life of the test run (pid + counter);
// tests run in parallel processes.
std::string unique_tag(const char* purpose);
localsock::LocalSocketName unique_namespaced_name(const char* purpose);

// A client connects to `name` and a byte crosses to the connection
// `listener` accepts (CHECKed): the listener really serves that name.
void check_client_reaches(localsock::LocalListener& listener, const localsock::LocalSocketName& name);

// An anonymous pipe: {read end, write end}, both non-inheritable.
std::pair<localsock::OwnedHandle, localsock::OwnedHandle> make_pipe();
// An anonymous file holding `content` (a memfd; a delete-on-close temporary
// file on Windows), non-inheritable.
localsock::OwnedHandle file_with(std::string_view content);
// The whole content of a file, read from offset 0 without moving anything.
std::string read_whole_file(localsock::BorrowedHandle file);
// Blocking writes/reads on a pipe or file handle.
void write_handle(localsock::BorrowedHandle handle, std::string_view bytes);
std::string read_handle(localsock::BorrowedHandle handle, std::size_t count);
// True when a read from the pipe finds end of file (every writer closed).
bool pipe_at_end(localsock::BorrowedHandle read_end);
bool is_inheritable(localsock::BorrowedHandle handle);

std::int64_t current_pid();
// Who runs this process, as LocalSocketName::per_user spells it: the
// effective uid in decimal (POSIX), the user's SID string (Windows).
std::string current_user_id();
// The process a process handle (Linux pidfd, Windows process handle) refers to,
// and whether that process has ended (waiting up to `milliseconds`).
std::int64_t process_id_of(localsock::BorrowedHandle process);
bool process_ended(localsock::BorrowedHandle process, int milliseconds);
// Ends this process at once, as a crash would: no destructors, no flushing.
[[noreturn]] void die_abruptly();
// The status ChildProcess::wait() reports for a child that died that way.
extern const int abrupt_exit_status;
// Wine does not enforce some Windows behaviours (pipe squatting protection,
// DACLs); tests warn there instead of passing silently. False on POSIX.
bool running_under_wine();
// Whether the OS can give a handle on a socket's peer process, so that
// peer_process() must not report not_supported: Linux from 6.5
// (SO_PEERPIDFD), Windows always.
bool os_has_peer_process();

// A private directory, removed with its contents at scope exit.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const noexcept { return path_; }
    std::filesystem::path operator/(const char* name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

} // namespace testing
