#include "process.hpp"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace testing {
namespace {

std::map<std::string, RoleFunction>& roles() {
    static std::map<std::string, RoleFunction> table;
    return table;
}

std::string self_path() {
    char path[4096];
    const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0)
        throw std::system_error(errno, std::system_category(), "readlink /proc/self/exe");
    return std::string(path, static_cast<std::size_t>(n));
}

} // namespace

RoleRegistration::RoleRegistration(const char* name, RoleFunction function) { roles()[name] = function; }

int run_child_role(int argc, char** argv) {
    const auto found = roles().find(argv[0]);
    if (found == roles().end()) {
        std::fprintf(stderr, "unknown child role '%s'\n", argv[0]);
        return 98;
    }
    return found->second(RoleArguments(argv + 1, argv + argc));
}

void child_failed(const char* file, int line, const char* expression) {
    std::fprintf(stderr, "child %d: %s:%d: CHILD_REQUIRE(%s) failed\n", static_cast<int>(::getpid()), file,
                 line, expression);
    std::fflush(stderr);
    ::_exit(97);
}

ChildProcess ChildProcess::spawn(const std::string& role, const RoleArguments& args, const Options& options) {
    const std::string program = self_path();
    std::vector<std::string> words{program, "--child", role};
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
    const int error = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    for (int fd : temporaries)
        ::close(fd);
    if (error != 0)
        throw std::system_error(error, std::system_category(), "posix_spawn");
    return ChildProcess(pid);
}

int ChildProcess::wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0)
        if (errno != EINTR)
            throw std::system_error(errno, std::system_category(), "waitpid");
    pid_ = -1;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

void ChildProcess::kill(int signal) { ::kill(pid_, signal); }

ChildProcess::~ChildProcess() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int status;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
    }
}

} // namespace testing
