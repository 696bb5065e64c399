// Socket activation on Windows: there is none. A Windows service is started
// by the service control manager with no handles of its own; it creates its
// pipes itself (LocalListener::bind), and a pipe name cannot be held open for
// a service that is not running. So both calls say not_supported.
#include "../activation/backend.hpp"

namespace localsock::activation {

ActivatedSockets take_listen_fds(std::error_code& ec, std::string& problem) noexcept {
    problem = "Windows has no socket activation";
    ec = std::make_error_code(std::errc::not_supported);
    return {};
}

ActivatedSockets take_launchd(std::string_view, std::error_code& ec) noexcept {
    ec = std::make_error_code(std::errc::not_supported);
    return {};
}

} // namespace localsock::activation
