#include "../process.hpp"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <system_error>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace testing {
namespace {

std::string self_path() {
    char path[4096];
    const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0)
        throw std::system_error(errno, std::system_category(), "readlink /proc/self/exe");
    return std::string(path, static_cast<std::size_t>(n));
}

} // namespace

ChildProcess ChildProcess::spawn(const std::string& role, const RoleArguments& args, const Options& options) {
    const std::string program = self_path();
    std::vector<std::string> words(options.launcher);
    words.insert(words.end(), {program, "--child", role});
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& word : words)
        argv.push_back(word.data());
    argv.push_back(nullptr);

    std::vector<std::string> environment(options.environment);
    for (char** entry = environ; *entry != nullptr; ++entry)
        environment.emplace_back(*entry);
    std::vector<char*> envp;
    for (std::string& entry : environment)
        envp.push_back(entry.data());
    envp.push_back(nullptr);

    // dup2(fd, fd) would keep close-on-exec, so route every inherited
    // descriptor through a temporary high copy first.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    std::vector<int> temporaries;
    for (const auto& [parent_fd, child_fd] : options.descriptors) {
        const int temporary = ::fcntl(parent_fd, F_DUPFD_CLOEXEC, 500);
        if (temporary < 0)
            throw std::system_error(errno, std::system_category(), "dup for child");
        temporaries.push_back(temporary);
        posix_spawn_file_actions_adddup2(&actions, temporary, child_fd);
    }
    pid_t pid = -1;
    const int error = options.launcher.empty()
                          ? ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data())
                          : ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    for (int fd : temporaries)
        ::close(fd);
    if (error != 0)
        throw std::system_error(error, std::system_category(), "posix_spawn");
    return ChildProcess(pid, localsock::invalid_native_handle);
}

int ChildProcess::wait() {
    int status = 0;
    while (::waitpid(static_cast<pid_t>(pid_), &status, 0) < 0)
        if (errno != EINTR)
            throw std::system_error(errno, std::system_category(), "waitpid");
    pid_ = -1;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0) {
        ::kill(static_cast<pid_t>(pid_), SIGKILL);
        int status;
        while (::waitpid(static_cast<pid_t>(pid_), &status, 0) < 0 && errno == EINTR) {
        }
    }
}

} // namespace testing
