// The listener bodies both Windows listener classes share (listening_pipe.hpp).
#include "listening_pipe.hpp"

#include <localsock/error.hpp>

namespace localsock::win32 {

bool bind_listening(ListeningPipe& listener, PipeType type, const LocalSocketName& name,
                    const ListenerOptions& options, std::error_code& ec) noexcept {
    if (name.empty()) {
        ec = errc::empty_name;
        return false;
    }
    try {
        listener.name = name;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return false;
    }
    listener.nonblocking = options.nonblocking;
    listener.rules = handle_rules(options);
    listener.nonblocking_accepted = options.nonblocking_accepted;
    return listener.pool.open(name, options, type, ec);
}

OwnedHandle accept_next(ListeningPipe* listener, std::error_code& ec, bool& port_bound) noexcept {
    ec.clear();
    if (listener == nullptr) {
        ec = not_open();
        return {};
    }
    return listener->pool.accept(listener->nonblocking, listener->accept_timeout, ec, port_bound);
}

void set_listener_nonblocking(ListeningPipe* listener, bool nonblocking, std::error_code& ec) noexcept {
    ec.clear();
    if (listener == nullptr)
        ec = not_open();
    else
        listener->nonblocking = nonblocking;
}

void set_accept_timeout(ListeningPipe* listener, std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    ec.clear();
    if (listener == nullptr)
        ec = not_open();
    else if (timeout.count() < 0)
        ec = std::make_error_code(std::errc::invalid_argument);
    else
        listener->accept_timeout = to_timeout(timeout);
}

} // namespace localsock::win32
