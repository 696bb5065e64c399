// Test support: child processes that re-execute this test binary in a named
// role (the pattern works with posix_spawn here and CreateProcess on Windows).
#pragma once

#include <localsock/config.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace testing {

using RoleArguments = std::vector<std::string>;
using RoleFunction = int (*)(const RoleArguments&);

struct RoleRegistration {
    RoleRegistration(const char* name, RoleFunction function);
};

// Defines the body of a child role: `CHILD_ROLE(echo) { ...; return 0; }`;
// `args` holds the arguments the parent passed.
#define CHILD_ROLE(role)                                                                 \
    static int child_role_##role(const ::testing::RoleArguments& args);                  \
    static const ::testing::RoleRegistration child_role_registration_##role(#role,        \
                                                                          child_role_##role); \
    static int child_role_##role([[maybe_unused]] const ::testing::RoleArguments& args)

// Runs the role named on the command line ("--child <role> args...").
int run_child_role(int argc, char** argv);

// A failed check inside a child: report it on stderr and exit with 97, which
// the parent's wait() turns into a failed CHECK.
[[noreturn]] void child_failed(const char* file, int line, const char* expression);
#define CHILD_REQUIRE(condition)                                                         \
    do {                                                                                 \
        if (!(condition))                                                                \
            ::testing::child_failed(__FILE__, __LINE__, #condition);                     \
    } while (0)

class ChildProcess {
public:
    struct Options {
        // POSIX only: (descriptor in this process, number it gets in the
        // child), inherited across exec without touching this process's
        // close-on-exec flags.
        std::vector<std::pair<int, int>> descriptors = {};
        // Extra "NAME=value" environment entries.
        std::vector<std::string> environment = {};
        // POSIX only: a program (found on PATH) and its arguments that start
        // this binary's role, as `launcher... <this binary> --child role
        // args...` (systemd-socket-activate -l NAME). The ChildProcess is the
        // launcher's process.
        std::vector<std::string> launcher = {};
    };

    static ChildProcess spawn(const std::string& role, const RoleArguments& args = {});
    static ChildProcess spawn(const std::string& role, const RoleArguments& args, const Options& options);

    ChildProcess(ChildProcess&& other) noexcept
        : pid_(std::exchange(other.pid_, -1)),
          process_(std::exchange(other.process_, localsock::invalid_native_handle)) {}
    ChildProcess& operator=(ChildProcess&&) = delete;
    ~ChildProcess(); // kills and reaps a child nobody waited for

    std::int64_t pid() const noexcept { return pid_; }
    // Exit code; on POSIX 128 + signal number if a signal ended it.
    int wait();

private:
    ChildProcess(std::int64_t pid, localsock::native_handle_type process) : pid_(pid), process_(process) {}
    std::int64_t pid_;
    localsock::native_handle_type process_; // Windows: the process handle
};

} // namespace testing
