// systemd's socket-activation variables, read strictly (environment.hpp).
#include "environment.hpp"

#include <localsock/error.hpp>

#include <climits>

namespace localsock::activation {
namespace {

// Decimal digits only, no overflow: "042" is 42, "", "+1", " 1", "1 " fail.
std::optional<std::uint64_t> parse_unsigned(std::string_view text) noexcept {
    if (text.empty() || text.size() > 20)
        return std::nullopt;
    std::uint64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
        if (value > (UINT64_MAX - digit) / 10)
            return std::nullopt;
        value = value * 10 + digit;
    }
    return value;
}

// The value quoted for a message, shortened: the environment is not ours.
std::string quoted(std::string_view value) {
    constexpr std::size_t shown = 40;
    std::string text = "'";
    for (const char c : value.substr(0, shown))
        text += (c >= 0x20 && c < 0x7f) ? c : '?';
    return text + (value.size() > shown ? "...'" : "'");
}

std::error_code malformed(std::string& problem, std::string text) {
    problem = std::move(text);
    return errc::activation_malformed;
}

} // namespace

std::error_code parse(const Variables& variables, std::uint64_t own_pid, Plan& plan, std::string& problem) {
    plan = {};
    problem.clear();
    if (!variables.pid)
        return {};
    const auto pid = parse_unsigned(*variables.pid);
    if (!pid || *pid == 0)
        return malformed(problem, "LISTEN_PID=" + quoted(*variables.pid) + " is not a process id");
    if (*pid != own_pid)
        return {}; // meant for another process (our parent, say): not ours to take
    if (variables.pidfd_id) {
        plan.pidfd_id = parse_unsigned(*variables.pidfd_id);
        if (!plan.pidfd_id)
            return malformed(problem, "LISTEN_PIDFDID=" + quoted(*variables.pidfd_id) + " is not a pidfd id");
    }
    plan.for_us = true;
    if (!variables.fds)
        return {};
    const auto count = parse_unsigned(*variables.fds);
    if (!count)
        return malformed(problem, "LISTEN_FDS=" + quoted(*variables.fds) + " is not a number");
    if (*count > static_cast<std::uint64_t>(INT_MAX - first_descriptor))
        return malformed(problem, "LISTEN_FDS=" + quoted(*variables.fds) + " is more descriptors than a process has");
    if (*count == 0)
        return {}; // as systemd: the names of no descriptor are not read
    if (!variables.names) {
        plan.count = static_cast<std::size_t>(*count);
        return {};
    }
    // One name per descriptor, "a::b" naming three; counted before anything
    // is allocated, so that a huge LISTEN_FDS costs nothing.
    const std::string_view names = *variables.names;
    std::uint64_t given = 1;
    for (const char c : names)
        given += c == ':';
    if (given != *count)
        return malformed(problem, "LISTEN_FDNAMES=" + quoted(names) + " names " + std::to_string(given) +
                                      " descriptors, LISTEN_FDS=" + std::to_string(*count));
    plan.names.reserve(static_cast<std::size_t>(given));
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = names.find(':', start);
        plan.names.emplace_back(names.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos)
            break;
        start = end + 1;
    }
    plan.count = plan.names.size();
    return {};
}

} // namespace localsock::activation
