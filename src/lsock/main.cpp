// lsock: local sockets from the command line. See usage_text() and README.md.
#include "arguments.hpp"
#include "commands.hpp"
#include "connection.hpp"
#include "handles.hpp"
#include "system.hpp"

#include <localsock/config.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

namespace {

int run(const lsock::Arguments& arguments) {
    switch (arguments.command) {
    case lsock::Command::connect: return lsock::run_connect(arguments);
    case lsock::Command::listen: return lsock::run_listen(arguments);
    case lsock::Command::relay: return lsock::run_relay(arguments);
    case lsock::Command::info: return lsock::run_info(arguments);
    case lsock::Command::pair: return lsock::run_pair(arguments);
    case lsock::Command::version:
        fmt::print("lsock (localsock) {}.{}.{}\n", LOCALSOCK_VERSION_MAJOR, LOCALSOCK_VERSION_MINOR,
                   LOCALSOCK_VERSION_PATCH);
        return 0;
    case lsock::Command::help: break;
    }
    std::fputs(lsock::usage_text().data(), stdout);
    return 0;
}

// LSOCK_CHECK_HANDLES=1 (the tests set it): lsock fails if it ends holding
// more handles than it started with.
bool check_handles_wanted() {
    const char* value = std::getenv("LSOCK_CHECK_HANDLES");
    return value != nullptr && std::strcmp(value, "1") == 0;
}

} // namespace

int main(int argc, char** argv) {
    lsock::prepare_process();
    const bool check_handles = check_handles_wanted();
    const std::size_t handles_at_start = check_handles ? lsock::count_open_handles() : 0;
    int status = 0;
    try {
        const std::vector<std::string> args(argv + 1, argv + argc);
        status = run(lsock::parse_arguments(args));
    } catch (const lsock::UsageError& error) {
        std::fprintf(stderr, "lsock: %s\n(lsock --help tells how to use it)\n", error.what());
        return 2;
    } catch (const lsock::Failure& error) {
        std::fprintf(stderr, "%s\n", error.what());
        status = 1;
    } catch (const std::system_error& error) {
        // A throwing form of the library: "localsock: <operation> '<name>': ..."
        std::string_view text = error.what();
        if (text.starts_with("localsock: "))
            text.remove_prefix(11);
        std::fprintf(stderr, "lsock: %.*s\n", static_cast<int>(text.size()), text.data());
        status = 1;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "lsock: %s\n", error.what());
        status = 1;
    }
    if (check_handles) {
        const std::size_t handles_at_end = lsock::count_open_handles();
        if (handles_at_end > handles_at_start) {
            std::fprintf(stderr, "lsock: LSOCK_CHECK_HANDLES: %zu handles open at the end, %zu at the start\n",
                         handles_at_end, handles_at_start);
            status = 1;
        }
    }
    std::fflush(stdout);
    return status;
}
