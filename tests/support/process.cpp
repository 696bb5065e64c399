// Test support: the registry of child roles (portable).
#include "process.hpp"
#include "resources.hpp"

#include <cstdio>
#include <cstdlib>
#include <map>

namespace testing {
namespace {

std::map<std::string, RoleFunction>& roles() {
    static std::map<std::string, RoleFunction> table;
    return table;
}

} // namespace

ChildProcess ChildProcess::spawn(const std::string& role, const RoleArguments& args) {
    return spawn(role, args, Options{});
}

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
    std::fprintf(stderr, "child %d: %s:%d: CHILD_REQUIRE(%s) failed\n", static_cast<int>(current_pid()), file,
                 line, expression);
    std::fflush(stderr);
    std::_Exit(97);
}

} // namespace testing
