// The test binary: doctest's runner, or, when started as "--child <role>",
// one of the child roles that multi-process tests spawn.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "support/process.hpp"

#include <cstdio>
#include <iostream>
#include <string_view>

int main(int argc, char** argv) {
    if (argc >= 3 && std::string_view(argv[1]) == "--child")
        return testing::run_child_role(argc - 2, argv + 2);
    doctest::Context context(argc, argv);
    const int failed = context.run();
    // A report that could not be written (a test closed the standard output
    // by mistake) must not pass as a run with nothing to say: ./dev counts
    // a run without doctest's summary as one that did not run.
    if (!std::cout.flush()) {
        std::fputs("the test report could not be written to the standard output\n", stderr);
        return failed != 0 ? failed : 70;
    }
    return failed;
}
