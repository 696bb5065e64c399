// LocalListener: the portable layer — throwing forms and the incoming() range.
#include "operation_error.hpp"

#include <localsock/listener.hpp>

namespace localsock {

using detail::or_throw;
using detail::or_throw_opening;

LocalListener LocalListener::bind(const LocalSocketName& name, const ListenerOptions& options) {
    return or_throw_opening("bind", name, [&](std::error_code& ec) { return bind(name, options, ec); });
}

LocalListener LocalListener::bind(const LocalSocketName& name, std::error_code& ec) noexcept {
    return bind(name, ListenerOptions{}, ec);
}

LocalListener LocalListener::adopt(OwnedHandle handle) {
    return or_throw_opening("adopt listener", {}, [&](std::error_code& ec) { return adopt(std::move(handle), ec); });
}

LocalStream LocalListener::accept() {
    return or_throw(*this, "accept", [&](std::error_code& ec) { return accept(ec); });
}

void LocalListener::close() { detail::close_or_throw(*this); }

void LocalListener::set_accept_timeout(std::chrono::milliseconds timeout) {
    or_throw(*this, "set accept timeout", [&](std::error_code& ec) { set_accept_timeout(timeout, ec); });
}

void LocalListener::set_nonblocking(bool nonblocking) {
    or_throw(*this, "set non-blocking", [&](std::error_code& ec) { set_nonblocking(nonblocking, ec); });
}

void LocalListener::Incoming::iterator::advance() {
    std::error_code ec;
    current_ = listener_->accept(ec);
    done_ = ec == std::errc::operation_would_block;
    if (ec && !done_)
        detail::throw_operation_error(ec, "accept", listener_->local_name());
}

} // namespace localsock
