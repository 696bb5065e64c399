// LocalSeqpacket on Windows: message-mode named pipes — connecting, pairs,
// the end of a connection, and its settings. Sending and receiving are in
// seqpacket_send.cpp and seqpacket_receive.cpp.
#include "duplication.hpp"
#include "pipe_controls.hpp"
#include "pipes.hpp"
#include "seqpacket_impl.hpp"
#include "../operation_error.hpp"

#include <localsock/error.hpp>

#include <algorithm>

namespace localsock {
namespace win32 {

std::unique_ptr<LocalSeqpacket::Impl> make_seqpacket(OwnedHandle pipe, const LocalSocketName& name, bool is_server,
                                                     bool handle_passing, std::error_code& ec) noexcept {
    try {
        auto impl = std::make_unique<LocalSeqpacket::Impl>(); // events and buffers come with the first I/O
        impl->pipe = std::move(pipe);
        impl->name = name;
        impl->is_server = is_server;
        impl->handle_passing = handle_passing;
        return impl;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return nullptr;
    }
}

} // namespace win32

void LocalSeqpacket::Impl::cancel_pending_write() noexcept {
    if (!write_pending)
        return;
    ::CancelIoEx(pipe.get(), write_io.get());
    DWORD written = 0;
    const BOOL completed = ::GetOverlappedResult(pipe.get(), write_io.get(), &written, TRUE); // the buffer is free again
    if (!completed && written == 0 && pending_handles > 0 && peer_process)
        win32::close_remote_encoded(peer_process.get(), send_buffer.data() + win32::frame::header_size,
                                    pending_handles);
    write_pending = false;
    pending_handles = 0;
}

LocalSeqpacket::Impl::~Impl() {
    cancel_pending_write();
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
        if (r.message_size == 0 || (ec && ec != errc::handles_truncated))
            break;
    }
}

LocalSeqpacket::LocalSeqpacket() noexcept = default;
LocalSeqpacket::LocalSeqpacket(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
LocalSeqpacket::LocalSeqpacket(LocalSeqpacket&&) noexcept = default;
LocalSeqpacket& LocalSeqpacket::operator=(LocalSeqpacket&&) noexcept = default;
LocalSeqpacket::~LocalSeqpacket() = default;

bool LocalSeqpacket::is_open() const noexcept { return impl_ && impl_->pipe.valid(); }

const LocalSocketName& LocalSeqpacket::name() const noexcept {
    static const LocalSocketName none;
    return impl_ ? impl_->name : none;
}

LocalSeqpacket LocalSeqpacket::connect(const LocalSocketName& name, const ConnectOptions& options,
                                       std::error_code& ec) noexcept {
    detail::clear(ec);
    if (name.empty()) {
        ec = errc::empty_name;
        return {};
    }
    try {
        OwnedHandle pipe =
            win32::open_client(win32::pipe_path(name), win32::PipeType::message, options.busy_timeout, ec);
        if (!pipe)
            return {};
        return LocalSeqpacket(win32::make_seqpacket(std::move(pipe), name, false, options.handle_passing, ec));
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

std::pair<LocalSeqpacket, LocalSeqpacket> LocalSeqpacket::pair(std::error_code& ec) noexcept {
    detail::clear(ec);
    OwnedHandle server, client;
    if (!win32::create_pair(win32::PipeType::message, server, client, ec))
        return {};
    auto first = win32::make_seqpacket(std::move(server), {}, true, true, ec);
    auto second = win32::make_seqpacket(std::move(client), {}, false, true, ec);
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
    detail::clear(ec);
    if (!is_open()) {
        ec = win32::not_open();
        return;
    }
    Impl& s = *impl_;
    if (how != Shutdown::write)
        s.read_shut = true;
    if (how == Shutdown::read || s.write_shut)
        return;
    // A pipe has no half-close; an end-of-stream message is one. Without
    // framing the peer could not tell it from data.
    if (!s.handle_passing) {
        ec = std::make_error_code(std::errc::not_supported);
        return;
    }
    win32::send_message(s, {}, {}, win32::frame::Kind::end_of_stream, ec);
    if (!ec)
        s.write_shut = true;
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

native_handle_type LocalSeqpacket::native_handle() const noexcept {
    return impl_ ? impl_->pipe.get() : invalid_native_handle;
}

OwnedHandle LocalSeqpacket::release() noexcept { return win32::release_pipe(impl_); }

} // namespace localsock
