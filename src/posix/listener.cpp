// LocalListener on POSIX: a listening AF_UNIX stream socket (listening_socket.cpp).
#include "listening_socket.hpp"
#include "stream_impl.hpp"

#include <localsock/listener.hpp>

#include <new>

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
    auto impl = std::unique_ptr<Impl>(new (std::nothrow) Impl);
    if (!impl) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
    if (!posix::bind_listening(*impl, SOCK_STREAM, name, options, ec))
        return {};
    return LocalListener(std::move(impl));
}

LocalListener LocalListener::adopt(OwnedHandle handle, std::error_code& ec) noexcept {
    ec.clear();
    auto impl = std::unique_ptr<Impl>(new (std::nothrow) Impl);
    if (!impl) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
    if (!posix::adopt_listening(*impl, SOCK_STREAM, std::move(handle), ec))
        return {};
    return LocalListener(std::move(impl));
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
    auto stream = std::unique_ptr<LocalStream::Impl>(new (std::nothrow) LocalStream::Impl);
    if (!stream) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
    try {
        stream->name = impl_->name;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
    stream->socket = std::move(client);
    stream->handle_passing = impl_->handle_passing;
    return LocalStream(std::move(stream));
}

void LocalListener::set_nonblocking(bool nonblocking, std::error_code& ec) noexcept {
    posix::set_listener_nonblocking(impl_.get(), nonblocking, ec);
}

native_handle_type LocalListener::native_handle() const noexcept {
    return impl_ ? impl_->socket.get() : invalid_native_handle;
}

OwnedHandle LocalListener::release() noexcept {
    OwnedHandle socket = posix::release_listening(impl_.get());
    impl_.reset();
    return socket;
}

} // namespace localsock
