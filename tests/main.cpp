// The test binary: doctest's runner, or, when started as "--child <role>",
// one of the child roles that multi-process tests spawn.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "support/process.hpp"

#include <string_view>

int main(int argc, char** argv) {
    if (argc >= 3 && std::string_view(argv[1]) == "--child")
        return testing::run_child_role(argc - 2, argv + 2);
    doctest::Context context(argc, argv);
    return context.run();
}
