// libFuzzer: the reading of systemd's socket-activation variables
// (src/activation/environment.cpp) over arbitrary values. The environment
// is not a peer's, but it comes from another program (the service manager,
// or whoever started us). Input: a byte whose low four bits say which of
// LISTEN_PID, LISTEN_PIDFDID, LISTEN_FDS, LISTEN_FDNAMES are set, then their
// values separated by '\n'. This process's pid is 1234. Beyond not
// crashing: an error says what and sets no plan; a plan for us has one
// name per descriptor that joins back to LISTEN_FDNAMES; LISTEN_FDS stays
// within an int's descriptors.
#include "activation/environment.hpp"

#include <localsock/error.hpp>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void require(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "fuzz_activation: property violated: %s\n", what);
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace localsock::activation;
    if (size == 0)
        return 0;
    const unsigned present = data[0];
    std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
    std::string_view values[4];
    for (std::string_view& value : values) {
        const std::size_t end = rest.find('\n');
        value = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    }
    Variables variables;
    if (present & 1)
        variables.pid = values[0];
    if (present & 2)
        variables.pidfd_id = values[1];
    if (present & 4)
        variables.fds = values[2];
    if (present & 8)
        variables.names = values[3];

    Plan plan;
    std::string problem;
    const std::error_code ec = parse(variables, 1234, plan, problem);
    if (ec) {
        require(ec == localsock::errc::activation_malformed, "an error is activation_malformed");
        require(!problem.empty(), "an error says what is wrong");
        return 0;
    }
    require(problem.empty(), "no problem without an error");
    require(plan.count <= static_cast<std::size_t>(INT_MAX - first_descriptor), "descriptors fit an int");
    if (!plan.for_us) {
        require(plan.count == 0, "nothing to take for another process");
        return 0;
    }
    // Our pid, maybe with leading zeros (decimal, as systemd reads it).
    std::string_view pid = *variables.pid;
    while (pid.size() > 1 && pid.front() == '0')
        pid.remove_prefix(1);
    require(pid == "1234", "for us only with our pid");
    if (plan.count > 0 && variables.names) {
        require(plan.names.size() == plan.count, "one name per descriptor");
        std::string joined;
        for (std::size_t i = 0; i < plan.count; ++i)
            joined += (i == 0 ? "" : ":") + std::string(plan.name(i));
        require(joined == *variables.names, "the names join back to LISTEN_FDNAMES");
    }
    if (plan.count > 0 && !variables.names) {
        require(plan.names.empty(), "no names allocated without LISTEN_FDNAMES");
        require(plan.name(plan.count - 1) == "unknown", "an unnamed descriptor is 'unknown'");
    }
    return 0;
}
