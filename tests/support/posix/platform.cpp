// Test support on POSIX.
#include "../resources.hpp"

#include <csignal>
#include <system_error>

#include <cstdio>
#include <string>

#include <dirent.h>
#include <poll.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace testing {
namespace {
[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::system_category(), what); }
} // namespace

std::size_t count_open_handles() {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr)
        fail("opendir /proc/self/fd");
    std::size_t count = 0;
    while (const dirent* entry = ::readdir(dir))
        if (entry->d_name[0] != '.')
            ++count;
    ::closedir(dir);
    return count - 1; // the directory stream's own descriptor
}

std::pair<localsock::OwnedHandle, localsock::OwnedHandle> make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        fail("pipe2");
    return {localsock::OwnedHandle(fds[0]), localsock::OwnedHandle(fds[1])};
}

localsock::OwnedHandle file_with(std::string_view content) {
    localsock::OwnedHandle file(::memfd_create("localsock-test", MFD_CLOEXEC));
    if (!file)
        fail("memfd_create");
    write_handle(file, content);
    return file;
}

std::string read_whole_file(localsock::BorrowedHandle file) {
    std::string content;
    char chunk[256];
    for (off_t offset = 0;;) {
        const ssize_t n = ::pread(file.get(), chunk, sizeof chunk, offset);
        if (n < 0)
            fail("pread");
        if (n == 0)
            return content;
        content.append(chunk, static_cast<std::size_t>(n));
        offset += n;
    }
}

void write_handle(localsock::BorrowedHandle handle, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(handle.get(), bytes.data(), bytes.size());
        if (n < 0 && errno != EINTR)
            fail("write");
        if (n > 0)
            bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::string read_handle(localsock::BorrowedHandle handle, std::size_t count) {
    std::string bytes(count, '\0');
    std::size_t done = 0;
    while (done < count) {
        const ssize_t n = ::read(handle.get(), bytes.data() + done, count - done);
        if (n < 0 && errno != EINTR)
            fail("read");
        if (n == 0)
            break;
        if (n > 0)
            done += static_cast<std::size_t>(n);
    }
    bytes.resize(done);
    return bytes;
}

bool pipe_at_end(localsock::BorrowedHandle read_end) {
    char c;
    return ::read(read_end.get(), &c, 1) == 0;
}

bool is_inheritable(localsock::BorrowedHandle handle) {
    const int flags = ::fcntl(handle.get(), F_GETFD);
    if (flags < 0)
        fail("fcntl F_GETFD");
    return (flags & FD_CLOEXEC) == 0;
}

std::int64_t current_pid() { return ::getpid(); }

std::int64_t process_id_of(localsock::BorrowedHandle process) {
    // A pidfd's fdinfo names its process: "Pid:\t<pid>".
    const std::string path = "/proc/self/fdinfo/" + std::to_string(process.get());
    std::FILE* info = std::fopen(path.c_str(), "r");
    if (info == nullptr)
        fail("open fdinfo");
    char line[256];
    long long pid = -1;
    while (std::fgets(line, sizeof line, info) != nullptr)
        if (std::sscanf(line, "Pid: %lld", &pid) == 1)
            break;
    std::fclose(info);
    return pid;
}

bool process_ended(localsock::BorrowedHandle process, int milliseconds) {
    pollfd waiting{process.get(), POLLIN, 0}; // a pidfd is readable once its process has exited
    return ::poll(&waiting, 1, milliseconds) == 1;
}

void die_abruptly() {
    ::raise(SIGKILL);
    ::_exit(1);
}

const int abrupt_exit_status = 128 + SIGKILL;

bool running_under_wine() { return false; }

std::string current_user_id() { return std::to_string(::geteuid()); }

bool os_has_peer_process() {
#if defined(__linux__)
    utsname system{};
    int major = 0, minor = 0;
    return ::uname(&system) == 0 && std::sscanf(system.release, "%d.%d", &major, &minor) == 2 &&
           (major > 6 || (major == 6 && minor >= 5));
#else
    return false;
#endif
}

} // namespace testing
