// Test support: child processes that re-execute this test binary in a named
// role (the pattern works with posix_spawn here and CreateProcess on Windows).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

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
        // (descriptor in this process, number it gets in the child), inherited
        // across exec without touching this process's close-on-exec flags.
        std::vector<std::pair<int, int>> descriptors;
        // Extra "NAME=value" environment entries.
        std::vector<std::string> environment;
    };

    static ChildProcess spawn(const std::string& role, const RoleArguments& args = {}, const Options& options = {});

    ChildProcess(ChildProcess&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}
    ChildProcess& operator=(ChildProcess&&) = delete;
    ~ChildProcess(); // kills and reaps a child nobody waited for

    pid_t pid() const noexcept { return pid_; }
    // Exit code, or 128 + signal number if a signal ended it.
    int wait();
    void kill(int signal);

private:
    explicit ChildProcess(pid_t pid) : pid_(pid) {}
    pid_t pid_;
};

} // namespace testing
