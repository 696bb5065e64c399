// LocalListener on Windows: a pool of byte-mode pipe instances handing out
// LocalStreams (listening_pipe.hpp).
#include "listening_pipe.hpp"
#include "stream_impl.hpp"

#include <localsock/error.hpp>
#include <localsock/listener.hpp>

namespace localsock {


LocalListener::LocalListener() noexcept = default;
LocalListener::LocalListener(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
LocalListener::LocalListener(LocalListener&&) noexcept = default;
LocalListener& LocalListener::operator=(LocalListener&&) noexcept = default;
LocalListener::~LocalListener() = default;

LocalListener LocalListener::bind(const LocalSocketName& name, const ListenerOptions& options,
                                  std::error_code& ec) noexcept {
    return LocalListener(win32::open_listener<Impl>(win32::PipeType::byte, name, options, ec));
}

LocalListener LocalListener::adopt(OwnedHandle handle, std::error_code& ec) noexcept {
    (void)handle; // a pipe instance is not a listener that can be handed over
    ec = std::make_error_code(std::errc::not_supported);
    return {};
}

bool LocalListener::is_open() const noexcept { return impl_ != nullptr; }

const LocalSocketName& LocalListener::local_name() const noexcept {
    static const LocalSocketName none;
    return impl_ ? impl_->name : none;
}

LocalStream LocalListener::accept(std::error_code& ec) noexcept {
    return LocalStream(win32::accept_connection<LocalStream::Impl>(impl_.get(), ec));
}

void LocalListener::set_accept_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    win32::set_accept_timeout(impl_.get(), timeout, ec);
}

void LocalListener::set_nonblocking(bool nonblocking, std::error_code& ec) noexcept {
    win32::set_listener_nonblocking(impl_.get(), nonblocking, ec);
}

void LocalListener::close(std::error_code& ec) noexcept { win32::close_listener(impl_, ec); }

native_handle_type LocalListener::native_handle() const noexcept { return win32::listener_handle(impl_.get()); }

OwnedHandle LocalListener::release() noexcept { return win32::release_listener(impl_); }

} // namespace localsock
