// lsock on POSIX: standard streams, signals, handles to send, socket files.
#include "../../lsock/system.hpp"

#include "errors.hpp"

#include <localsock/error.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <mutex>
#include <pthread.h>
#include <pwd.h>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace lsock {

using localsock::OwnedHandle;

namespace {


// Socket files to remove if a signal ends the process, with the identity
// each had when it was made (a file put there since is not ours).
struct OwnedSocketFile {
    std::string path;
    dev_t device;
    ino_t inode;
};
std::mutex socket_files_mutex;
std::vector<OwnedSocketFile> socket_files;

const int termination_signals[] = {SIGINT, SIGTERM, SIGHUP};

// The signals are blocked in every thread and taken here, synchronously:
// the cleanup runs as ordinary code, not in a signal handler.
void wait_for_termination(sigset_t signals) {
    int signal_number = 0;
    while (sigwait(&signals, &signal_number) != 0) {
    }
    {
        const std::lock_guard lock(socket_files_mutex);
        for (const OwnedSocketFile& file : socket_files) {
            struct stat now {};
            if (::lstat(file.path.c_str(), &now) == 0 && now.st_dev == file.device && now.st_ino == file.inode)
                ::unlink(file.path.c_str());
        }
    }
    // Die of the signal, as without lsock's handling (the shell sees it).
    std::signal(signal_number, SIG_DFL);
    sigset_t just_this;
    sigemptyset(&just_this);
    sigaddset(&just_this, signal_number);
    pthread_sigmask(SIG_UNBLOCK, &just_this, nullptr);
    ::raise(signal_number);
    ::_exit(128 + signal_number);
}

} // namespace

void prepare_process() noexcept {
    // A standard descriptor the caller closed (`lsock ... <&-`, `>&-`) stays
    // taken: otherwise the first socket lsock opens would get its number and
    // be read as stdin (by the input thread) or written as stdout (the peer
    // would get its own bytes back). /dev/null read-only: stdin reads as
    // empty, and writes fail with "Bad file descriptor" as on a closed one.
    // Not close-on-exec: --exec and pair children get the same standard
    // descriptors. open() takes the lowest free number, which is `fd`.
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        const int placeholder = ::open("/dev/null", O_RDONLY | O_NOCTTY);
        if (placeholder >= 0 && placeholder != fd)
            ::close(placeholder);
    }
    // A closed stdout (lsock ... | head) is an error to report, not a
    // silent death; the library sends with MSG_NOSIGNAL already.
    std::signal(SIGPIPE, SIG_IGN);
    sigset_t signals;
    sigemptyset(&signals);
    for (const int signal_number : termination_signals)
        sigaddset(&signals, signal_number);
    // Before any other thread exists, so that all inherit the mask.
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    try {
        std::thread(wait_for_termination, signals).detach();
    } catch (...) {
        // No thread: the signals keep their default action.
        pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
    }
}

void remove_on_termination(const std::filesystem::path& socket_file) noexcept {
    struct stat facts {};
    if (::lstat(socket_file.c_str(), &facts) != 0 || !S_ISSOCK(facts.st_mode))
        return;
    try {
        const std::lock_guard lock(socket_files_mutex);
        socket_files.push_back({socket_file.string(), facts.st_dev, facts.st_ino});
    } catch (...) {
    }
}

std::size_t read_stdin(std::span<std::byte> buffer, std::error_code& ec) noexcept {
    ec.clear();
    for (;;) {
        const ssize_t count = ::read(STDIN_FILENO, buffer.data(), buffer.size());
        if (count >= 0)
            return static_cast<std::size_t>(count);
        if (errno == EINTR)
            continue;
        // No stdin at all (closed by the caller) reads as an empty one.
        if (errno == EBADF)
            return 0;
        ec = last_error();
        return 0;
    }
}

void write_stdout(std::span<const std::byte> bytes, std::error_code& ec) noexcept {
    ec.clear();
    while (!bytes.empty()) {
        const ssize_t count = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
        if (count < 0) {
            if (errno == EINTR)
                continue;
            ec = last_error();
            return;
        }
        bytes = bytes.subspan(static_cast<std::size_t>(count));
    }
}

OwnedHandle duplicate_own_handle(std::uint64_t value, std::error_code& ec) noexcept {
    ec.clear();
    if (value > static_cast<std::uint64_t>(INT32_MAX)) {
        ec = std::make_error_code(std::errc::bad_file_descriptor);
        return {};
    }
    const int copy = ::fcntl(static_cast<int>(value), F_DUPFD_CLOEXEC, 3);
    if (copy < 0) {
        ec = last_error();
        return {};
    }
    return OwnedHandle(copy);
}

OwnedHandle open_file_for_sending(const std::string& path, std::error_code& ec) noexcept {
    ec.clear();
    for (;;) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd >= 0)
            return OwnedHandle(fd);
        if (errno != EINTR) {
            ec = last_error();
            return {};
        }
    }
}

SocketFileFacts socket_file_facts(const std::filesystem::path& path, std::error_code& ec) noexcept {
    ec.clear();
    SocketFileFacts facts;
    struct stat status {};
    if (::lstat(path.c_str(), &status) != 0) {
        if (errno != ENOENT)
            ec = last_error();
        return facts;
    }
    facts.exists = true;
    facts.is_socket = S_ISSOCK(status.st_mode);
    facts.type = S_ISSOCK(status.st_mode)   ? "socket"
                 : S_ISREG(status.st_mode)  ? "regular file"
                 : S_ISDIR(status.st_mode)  ? "directory"
                 : S_ISLNK(status.st_mode)  ? "symbolic link"
                 : S_ISFIFO(status.st_mode) ? "fifo"
                                            : "device";
    facts.owner_uid = status.st_uid;
    facts.owner_gid = status.st_gid;
    facts.mode = status.st_mode & 07777;
    return facts;
}

std::string program_name(std::int64_t pid) {
#if defined(__linux__)
    // comm is readable for every process (exe is not, for other users').
    std::string path = "/proc/" + std::to_string(pid) + "/comm";
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return {};
    char name[64] = {};
    const ssize_t count = ::read(fd, name, sizeof name - 1);
    ::close(fd);
    if (count <= 0)
        return {};
    std::string result(name, static_cast<std::size_t>(count));
    while (!result.empty() && result.back() == '\n')
        result.pop_back();
    return result;
#else
    (void)pid;
    return {};
#endif
}

std::string user_name(std::uint32_t uid) {
    struct passwd entry {};
    struct passwd* found = nullptr;
    std::vector<char> buffer(16384);
    if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr)
        return {};
    return entry.pw_name;
}

std::size_t count_open_handles() noexcept {
    DIR* directory = ::opendir("/proc/self/fd");
    if (directory == nullptr)
        directory = ::opendir("/dev/fd");
    if (directory == nullptr)
        return 0;
    std::size_t count = 0;
    while (const dirent* entry = ::readdir(directory))
        if (entry->d_name[0] != '.')
            ++count;
    ::closedir(directory);
    return count - 1; // the directory's own descriptor
}

} // namespace lsock
