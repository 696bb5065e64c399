// LocalListener on POSIX: a listening AF_UNIX stream socket (listening_socket.cpp).
#include "listening_socket.hpp"
#include "socket_core.hpp"
#include "stream_impl.hpp"

#include <localsock/listener.hpp>

#include <sys/socket.h>

namespace localsock {

struct LocalListener::Impl : posix::ListeningSocket {};

LocalListener::LocalListener() noexcept = default;
LocalListener::LocalListener(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
LocalListener::LocalListener(LocalListener&&) noexcept = default;
LocalListener& LocalListener::operator=(LocalListener&&) noexcept = default;
LocalListener::~LocalListener() = default;

LocalListener LocalListener::bind(const LocalSocketName& name, const ListenerOptions& options,
                                  std::error_code& ec) noexcept {
    ec.clear();
    return LocalListener(posix::open_listener<Impl>(SOCK_STREAM, name, options, ec));
}

LocalListener LocalListener::adopt(OwnedHandle handle, std::error_code& ec) noexcept {
    ec.clear();
    return LocalListener(posix::adopt_listener<Impl>(SOCK_STREAM, std::move(handle), ec));
}

bool LocalListener::is_open() const noexcept { return impl_ && impl_->socket.valid(); }

const LocalSocketName& LocalListener::local_name() const noexcept {
    static const LocalSocketName none;
    return impl_ ? impl_->name : none;
}

LocalStream LocalListener::accept(std::error_code& ec) noexcept {
    OwnedHandle client = posix::accept_next(impl_.get(), ec);
    if (ec)
        return {};
    return LocalStream(
        posix::make_socket<LocalStream::Impl>(std::move(client), impl_->name, impl_->handle_passing, ec,
                                              impl_->nonblocking_accepted));
}

void LocalListener::set_accept_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    posix::set_accept_timeout(impl_.get(), timeout, ec);
}

void LocalListener::set_nonblocking(bool nonblocking, std::error_code& ec) noexcept {
    posix::set_listener_nonblocking(impl_.get(), nonblocking, ec);
}

void LocalListener::close(std::error_code& ec) noexcept { posix::close_socket(impl_, ec); }

native_handle_type LocalListener::native_handle() const noexcept {
    return impl_ ? impl_->socket.get() : invalid_native_handle;
}

OwnedHandle LocalListener::release() noexcept {
    OwnedHandle socket = posix::release_listening(impl_.get());
    impl_.reset();
    return socket;
}

} // namespace localsock
