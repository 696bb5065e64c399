// LocalSeqpacketListener on Windows: a pool of message-mode pipe instances handing
// out LocalSeqpackets (listening_pipe.hpp).
#include "listening_pipe.hpp"
#include "seqpacket_impl.hpp"

#include <localsock/error.hpp>
#include <localsock/seqpacket.hpp>

namespace localsock {


LocalSeqpacketListener::LocalSeqpacketListener() noexcept = default;
LocalSeqpacketListener::LocalSeqpacketListener(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
LocalSeqpacketListener::LocalSeqpacketListener(LocalSeqpacketListener&&) noexcept = default;
LocalSeqpacketListener& LocalSeqpacketListener::operator=(LocalSeqpacketListener&&) noexcept = default;
LocalSeqpacketListener::~LocalSeqpacketListener() = default;

LocalSeqpacketListener LocalSeqpacketListener::bind(const LocalSocketName& name, const ListenerOptions& options,
                                  std::error_code& ec) noexcept {
    return LocalSeqpacketListener(win32::open_listener<Impl>(win32::PipeType::message, name, options, ec));
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
    return LocalSeqpacket(win32::accept_connection<LocalSeqpacket::Impl>(impl_.get(), ec));
}

void LocalSeqpacketListener::set_accept_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    win32::set_accept_timeout(impl_.get(), timeout, ec);
}

void LocalSeqpacketListener::set_nonblocking(bool nonblocking, std::error_code& ec) noexcept {
    win32::set_listener_nonblocking(impl_.get(), nonblocking, ec);
}

void LocalSeqpacketListener::close(std::error_code& ec) noexcept { win32::close_listener(impl_, ec); }

native_handle_type LocalSeqpacketListener::native_handle() const noexcept {
    return win32::listener_handle(impl_.get());
}

OwnedHandle LocalSeqpacketListener::release() noexcept { return win32::release_listener(impl_); }

} // namespace localsock
