// Private, platform-free: systemd's socket-activation protocol, the reading
// of its environment variables (sd_listen_fds(3), sd_listen_fds_with_names(3)).
// No system call here, so that every platform and the fuzzer build it
// (tests/fuzz/fuzz_activation.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace localsock::activation {

// The first descriptor systemd passes (SD_LISTEN_FDS_START).
inline constexpr int first_descriptor = 3;

// The variables as the environment holds them; nullopt: unset.
struct Variables {
    std::optional<std::string_view> pid;      // LISTEN_PID
    std::optional<std::string_view> pidfd_id; // LISTEN_PIDFDID (systemd 256+)
    std::optional<std::string_view> fds;      // LISTEN_FDS
    std::optional<std::string_view> names;    // LISTEN_FDNAMES
};

// What the variables say, for the process `own_pid`.
struct Plan {
    // The variables are for this process (LISTEN_PID is ours). The caller
    // still compares `pidfd_id`, where present, with its own pidfd's id.
    bool for_us = false;
    std::optional<std::uint64_t> pidfd_id;
    // How many descriptors, from first_descriptor on (LISTEN_FDS).
    std::size_t count = 0;
    // LISTEN_FDNAMES's, one per descriptor; empty when it is unset (and
    // nothing allocated for a LISTEN_FDS of any size).
    std::vector<std::string> names;

    // Descriptor i's name: "unknown" when LISTEN_FDNAMES is unset, as
    // sd_listen_fds_with_names gives it.
    std::string_view name(std::size_t i) const noexcept {
        return names.empty() ? std::string_view("unknown") : std::string_view(names[i]);
    }
};

// Reads the variables as sd_listen_fds_with_names does, but strictly: a
// number is decimal digits only (no sign, space or overflow), LISTEN_PID
// is positive, LISTEN_FDS leaves every descriptor an int, LISTEN_FDNAMES
// (split on ':', empty names kept) names exactly LISTEN_FDS descriptors.
// Not activated (LISTEN_PID or LISTEN_FDS unset, another process's
// LISTEN_PID, LISTEN_FDS=0): `for_us` false or `count` 0, and no error.
// On an error, `problem` says which variable is wrong and how
// ("LISTEN_FDS='x' is not a number"); errc::activation_malformed.
std::error_code parse(const Variables& variables, std::uint64_t own_pid, Plan& plan, std::string& problem);

} // namespace localsock::activation
