// The throwing forms of <localsock/activation.hpp>; each platform's
// backend does the work (backend.hpp).
#include "backend.hpp"

#include "../operation_error.hpp"

namespace localsock {

ActivatedSockets take_activated_sockets() {
    std::error_code ec;
    std::string problem;
    ActivatedSockets sockets = activation::take_listen_fds(ec, problem);
    if (ec)
        detail::throw_error(ec, "localsock: take activated sockets" + (problem.empty() ? "" : ": " + problem));
    return sockets;
}

ActivatedSockets take_activated_sockets(std::error_code& ec) noexcept {
    std::string problem;
    return activation::take_listen_fds(ec, problem);
}

ActivatedSockets take_launchd_sockets(std::string_view name) {
    std::error_code ec;
    ActivatedSockets sockets = activation::take_launchd(name, ec);
    if (ec)
        detail::throw_error(ec, "localsock: take launchd sockets '" + std::string(name) + "'");
    return sockets;
}

ActivatedSockets take_launchd_sockets(std::string_view name, std::error_code& ec) noexcept {
    return activation::take_launchd(name, ec);
}

} // namespace localsock
