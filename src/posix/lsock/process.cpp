// lsock on POSIX: children that inherit handles as systemd's activated
// services do (descriptors 3…, LISTEN_FDS, LISTEN_PID), and saving what a
// received descriptor holds.
#include "../../lsock/system.hpp"

#include "errors.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace lsock {

using localsock::BorrowedHandle;
using localsock::OwnedHandle;

namespace {


// Writes `value` in decimal after `prefix` into `out` (size >= 32), using
// nothing but stores: it runs between fork and exec.
void format_pid(char* out, const char* prefix, long value) {
    std::size_t i = 0;
    while (prefix[i] != '\0') {
        out[i] = prefix[i];
        ++i;
    }
    char digits[24];
    std::size_t count = 0;
    do {
        digits[count++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value > 0);
    while (count > 0)
        out[i++] = digits[--count];
    out[i] = '\0';
}

[[noreturn]] void child_fail(int status) { ::_exit(status); }

} // namespace

std::vector<std::string> shell_command(const std::string& command) { return {"/bin/sh", "-c", command}; }

ChildProcess spawn_with_handles(const std::vector<std::string>& argv, std::span<const BorrowedHandle> handles,
                                std::error_code& ec) noexcept {
    ec.clear();
    try {
        // Everything the child needs is built here: between fork and exec
        // only async-signal-safe calls (other threads may hold locks).
        std::vector<char*> arguments;
        for (const std::string& argument : argv)
            arguments.push_back(const_cast<char*>(argument.c_str()));
        arguments.push_back(nullptr);
        const std::string fds = "LISTEN_FDS=" + std::to_string(handles.size());
        std::vector<char> pid_entry(64);
        std::vector<char*> environment;
        for (char** entry = environ; *entry != nullptr; ++entry)
            if (std::strncmp(*entry, "LISTEN_", 7) != 0)
                environment.push_back(*entry);
        environment.push_back(const_cast<char*>(fds.c_str()));
        environment.push_back(pid_entry.data());
        environment.push_back(nullptr);
        std::vector<int> sources;
        for (const BorrowedHandle& handle : handles)
            sources.push_back(handle.get());
        const int first_free = 3 + static_cast<int>(handles.size());

        const pid_t pid = ::fork();
        if (pid < 0) {
            ec = last_error();
            return {};
        }
        if (pid == 0) {
            // lsock's own signal setup is not the child's.
            sigset_t none;
            sigemptyset(&none);
            ::sigprocmask(SIG_SETMASK, &none, nullptr);
            ::signal(SIGPIPE, SIG_DFL);
            // Two steps, as systemd does: every handle above the target
            // range first (a source may sit where another goes), then down.
            for (int& fd : sources) {
                fd = ::fcntl(fd, F_DUPFD, first_free);
                if (fd < 0)
                    child_fail(126);
            }
            for (std::size_t i = 0; i < sources.size(); ++i) {
                const int target = 3 + static_cast<int>(i);
                if (::dup2(sources[i], target) < 0)
                    child_fail(126);
                ::close(sources[i]);
            }
            format_pid(pid_entry.data(), "LISTEN_PID=", static_cast<long>(::getpid()));
            environ = environment.data(); // a store: execvp then searches PATH
            ::execvp(arguments[0], arguments.data());
            child_fail(errno == ENOENT ? 127 : 126);
        }
        ChildProcess child;
        child.pid = pid;
        return child;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

int wait_for(ChildProcess& child, std::error_code& ec) noexcept {
    ec.clear();
    int status = 0;
    while (::waitpid(static_cast<pid_t>(child.pid), &status, 0) < 0) {
        if (errno != EINTR) {
            ec = last_error();
            return -1;
        }
    }
    child.pid = -1;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

SaveDirectory SaveDirectory::open(const std::string& path, std::error_code& ec) noexcept {
    ec.clear();
    SaveDirectory result;
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        ec = last_error();
        return result;
    }
    result.directory_.reset(fd);
    try {
        result.path_ = path;
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    }
    return result;
}

std::string SaveDirectory::file_path(const std::string& name) const { return path_ + "/" + name; }

std::uint64_t SaveDirectory::save(BorrowedHandle handle, const std::string& name, std::error_code& ec) noexcept {
    ec.clear();
    const int source = handle.get();
    struct stat status {};
    if (::fstat(source, &status) != 0) {
        ec = last_error();
        return 0;
    }
    const bool positioned = S_ISREG(status.st_mode);
    if (!positioned && !S_ISFIFO(status.st_mode)) {
        ec = std::make_error_code(std::errc::not_supported);
        return 0;
    }
    if (positioned && (::fcntl(source, F_GETFL) & O_ACCMODE) == O_WRONLY) {
        ec = std::make_error_code(std::errc::permission_denied);
        return 0;
    }
    // A new file only, by name inside the directory opened once: no path
    // is looked up again, nothing existing is overwritten or followed.
    const int target = ::openat(directory_.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (target < 0) {
        ec = last_error();
        return 0;
    }
    OwnedHandle target_owner(target);
    char buffer[64 * 1024];
    std::uint64_t total = 0;
    for (;;) {
        // pread for files: the sender's file offset is shared, leave it be.
        const ssize_t count = positioned ? ::pread(source, buffer, sizeof buffer, static_cast<off_t>(total))
                                         : ::read(source, buffer, sizeof buffer);
        if (count < 0 && errno == EINTR)
            continue;
        if (count < 0) {
            ec = last_error();
            return total;
        }
        if (count == 0)
            return total;
        for (ssize_t done = 0; done < count;) {
            const ssize_t written = ::write(target, buffer + done, static_cast<std::size_t>(count - done));
            if (written < 0 && errno == EINTR)
                continue;
            if (written < 0) {
                ec = last_error();
                return total;
            }
            done += written;
        }
        total += static_cast<std::uint64_t>(count);
    }
}

} // namespace lsock
