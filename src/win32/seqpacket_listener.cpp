// LocalSeqpacketListener on Windows: a pool of message-mode pipe instances
// (instance_pool.cpp) handing out LocalSeqpackets.
#include "instance_pool.hpp"
#include "seqpacket_impl.hpp"

#include <localsock/error.hpp>
#include <localsock/seqpacket.hpp>

#include <new>

namespace localsock {

struct LocalSeqpacketListener::Impl : win32::ListenerCore {};

LocalSeqpacketListener::LocalSeqpacketListener() noexcept = default;
LocalSeqpacketListener::LocalSeqpacketListener(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
LocalSeqpacketListener::LocalSeqpacketListener(LocalSeqpacketListener&&) noexcept = default;
LocalSeqpacketListener& LocalSeqpacketListener::operator=(LocalSeqpacketListener&&) noexcept = default;
LocalSeqpacketListener::~LocalSeqpacketListener() = default;

LocalSeqpacketListener LocalSeqpacketListener::bind(const LocalSocketName& name, const ListenerOptions& options,
                                                    std::error_code& ec) noexcept {
    ec.clear();
    std::unique_ptr<Impl> impl(new (std::nothrow) Impl);
    if (!impl) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
    if (!impl->bind(name, options, win32::PipeType::message, ec))
        return {};
    return LocalSeqpacketListener(std::move(impl));
}

LocalSeqpacketListener LocalSeqpacketListener::adopt(OwnedHandle handle, std::error_code& ec) noexcept {
    (void)handle; // a pipe instance is not a listener that can be handed over
    ec = std::make_error_code(std::errc::not_supported);
    return {};
}

bool LocalSeqpacketListener::is_open() const noexcept { return impl_ != nullptr; }

const LocalSocketName& LocalSeqpacketListener::local_name() const noexcept {
    static const LocalSocketName none;
    return impl_ ? impl_->name : none;
}

LocalSeqpacket LocalSeqpacketListener::accept(std::error_code& ec) noexcept {
    ec.clear();
    if (!impl_) {
        ec = win32::not_open();
        return {};
    }
    OwnedHandle pipe = impl_->pool.accept(impl_->nonblocking, ec);
    if (ec)
        return {};
    return LocalSeqpacket(win32::make_seqpacket(std::move(pipe), impl_->name, true, impl_->handle_passing, ec));
}

void LocalSeqpacketListener::set_nonblocking(bool nonblocking, std::error_code& ec) noexcept {
    ec.clear();
    if (!impl_)
        ec = win32::not_open();
    else
        impl_->nonblocking = nonblocking;
}

native_handle_type LocalSeqpacketListener::native_handle() const noexcept {
    return impl_ ? impl_->pool.native_handle() : invalid_native_handle;
}

OwnedHandle LocalSeqpacketListener::release() noexcept {
    if (!impl_)
        return {};
    OwnedHandle instance = impl_->pool.release();
    impl_.reset();
    return instance;
}

} // namespace localsock
