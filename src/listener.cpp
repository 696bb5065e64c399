// LocalListener: the portable layer — throwing forms and the incoming() range.
#include "operation_error.hpp"

#include <localsock/listener.hpp>

namespace localsock {

LocalListener LocalListener::bind(const LocalSocketName& name, const ListenerOptions& options) {
    std::error_code ec;
    LocalListener listener = bind(name, options, ec);
    detail::throw_if_error(ec, "bind", name);
    return listener;
}

LocalListener LocalListener::bind(const LocalSocketName& name, std::error_code& ec) noexcept {
    return bind(name, ListenerOptions{}, ec);
}

LocalListener LocalListener::adopt(OwnedHandle handle) {
    std::error_code ec;
    LocalListener listener = adopt(std::move(handle), ec);
    detail::throw_if_error(ec, "adopt listener", {});
    return listener;
}

LocalStream LocalListener::accept() {
    std::error_code ec;
    LocalStream stream = accept(ec);
    detail::throw_if_error(ec, "accept", local_name());
    return stream;
}

void LocalListener::set_nonblocking(bool nonblocking) {
    std::error_code ec;
    set_nonblocking(nonblocking, ec);
    detail::throw_if_error(ec, "set non-blocking", local_name());
}

void LocalListener::Incoming::iterator::advance() {
    std::error_code ec;
    current_ = listener_->accept(ec);
    done_ = ec == std::errc::operation_would_block;
    if (ec && !done_)
        detail::throw_operation_error(ec, "accept", listener_->local_name());
}

} // namespace localsock
