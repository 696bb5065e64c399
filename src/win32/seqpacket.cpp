// LocalSeqpacket on Windows: message-mode named pipes — connecting, pairs,
// the end of a connection, and its settings. Sending and receiving are in
// seqpacket_send.cpp and seqpacket_receive.cpp.
#include "seqpacket_impl.hpp"
#include "../operation_error.hpp"

#include <localsock/error.hpp>

#include <algorithm>

namespace localsock {

LocalSeqpacket::Impl::~Impl() {
    win32::cancel_pending_write(*this);
    if (!handle_passing || !pipe || ended || corrupt)
        return;
    // Only what is in the pipe now, and not forever if the peer keeps sending
    // (or stalls in the middle of a long message).
    nonblocking = true;
    read_shut = false;
    read_timeout = std::min<DWORD>(read_timeout, 100);
    for (int round = 0; round < 4096; ++round) {
        std::error_code ec;
        const ReceiveResult r = win32::receive_message(*this, {}, nullptr, ec);
        if (r.message_size == 0 || (ec && ec != errc::handles_truncated && ec != std::errc::permission_denied))
            break;
    }
}

LocalSeqpacket::LocalSeqpacket() noexcept = default;
LocalSeqpacket::LocalSeqpacket(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
LocalSeqpacket::LocalSeqpacket(LocalSeqpacket&&) noexcept = default;
LocalSeqpacket& LocalSeqpacket::operator=(LocalSeqpacket&&) noexcept = default;
LocalSeqpacket::~LocalSeqpacket() = default;

bool LocalSeqpacket::is_open() const noexcept { return win32::is_open(impl_.get()); }

const LocalSocketName& LocalSeqpacket::name() const noexcept {
    static const LocalSocketName none;
    return impl_ ? impl_->name : none;
}

LocalSeqpacket LocalSeqpacket::connect(const LocalSocketName& name, const ConnectOptions& options,
                                       std::error_code& ec) noexcept {
    detail::clear(ec);
    return LocalSeqpacket(win32::connect_pipe<Impl>(name, win32::PipeType::message, options, ec));
}

std::pair<LocalSeqpacket, LocalSeqpacket> LocalSeqpacket::pair(std::error_code& ec) noexcept {
    detail::clear(ec);
    auto [first, second] = win32::make_connection_pair<Impl>(win32::PipeType::message, ec);
    if (ec)
        return {};
    return {LocalSeqpacket(std::move(first)), LocalSeqpacket(std::move(second))};
}

LocalSeqpacket LocalSeqpacket::adopt(OwnedHandle handle, std::error_code& ec) noexcept {
    // A pipe handle says nothing about framing or which end it is.
    (void)handle;
    ec = std::make_error_code(std::errc::not_supported);
    return {};
}

void LocalSeqpacket::shutdown(Shutdown how, std::error_code& ec) noexcept {
    if (!win32::shutdown_needs_end_frame(impl_.get(), how, ec))
        return;
    win32::send_message(*impl_, {}, 0, {}, wire::Kind::end_of_stream, ec);
    if (!ec)
        impl_->write_shut = true;
}

void LocalSeqpacket::set_read_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    win32::set_timeout(impl_.get(), &Impl::read_timeout, timeout, ec);
}

void LocalSeqpacket::set_write_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    win32::set_timeout(impl_.get(), &Impl::write_timeout, timeout, ec);
}

void LocalSeqpacket::set_nonblocking(bool nonblocking, std::error_code& ec) noexcept {
    win32::set_nonblocking(impl_.get(), nonblocking, ec);
}

std::size_t LocalSeqpacket::max_handles_per_receive() const noexcept {
    return impl_ ? impl_->max_handles : max_handles_per_message;
}

void LocalSeqpacket::set_max_handles_per_receive(std::size_t limit, std::error_code& ec) noexcept {
    win32::set_handle_limit(impl_.get(), limit, ec);
}

void LocalSeqpacket::close(std::error_code& ec) noexcept { win32::close_connection(impl_, ec); }

native_handle_type LocalSeqpacket::native_handle() const noexcept {
    return impl_ ? impl_->pipe.get() : invalid_native_handle;
}

OwnedHandle LocalSeqpacket::release() noexcept { return win32::release_pipe(impl_); }

} // namespace localsock
