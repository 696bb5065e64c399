// LocalListener on Windows: a pool of byte-mode pipe instances
// (instance_pool.cpp) handing out LocalStreams.
#include "instance_pool.hpp"
#include "stream_impl.hpp"

#include <localsock/error.hpp>
#include <localsock/listener.hpp>

#include <new>

namespace localsock {

struct LocalListener::Impl : win32::ListenerCore {};

LocalListener::LocalListener() noexcept = default;
LocalListener::LocalListener(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
LocalListener::LocalListener(LocalListener&&) noexcept = default;
LocalListener& LocalListener::operator=(LocalListener&&) noexcept = default;
LocalListener::~LocalListener() = default;

LocalListener LocalListener::bind(const LocalSocketName& name, const ListenerOptions& options,
                                  std::error_code& ec) noexcept {
    ec.clear();
    std::unique_ptr<Impl> impl(new (std::nothrow) Impl);
    if (!impl) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
    if (!impl->bind(name, options, win32::PipeType::byte, ec))
        return {};
    return LocalListener(std::move(impl));
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
    ec.clear();
    if (!impl_) {
        ec = win32::not_open();
        return {};
    }
    OwnedHandle pipe = impl_->pool.accept(impl_->nonblocking, ec);
    if (ec)
        return {};
    return LocalStream(win32::make_stream(std::move(pipe), impl_->name, true, impl_->handle_passing, ec));
}

void LocalListener::set_nonblocking(bool nonblocking, std::error_code& ec) noexcept {
    ec.clear();
    if (!impl_)
        ec = win32::not_open();
    else
        impl_->nonblocking = nonblocking;
}

native_handle_type LocalListener::native_handle() const noexcept {
    return impl_ ? impl_->pool.native_handle() : invalid_native_handle;
}

OwnedHandle LocalListener::release() noexcept {
    if (!impl_)
        return {};
    OwnedHandle instance = impl_->pool.release();
    impl_.reset();
    return instance;
}

} // namespace localsock
