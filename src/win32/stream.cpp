// LocalStream on Windows: byte-mode named pipes — connecting, pairs, the end
// of a connection, its settings and the public I/O calls over stream_read.cpp
// and stream_write.cpp.
#include "stream_impl.hpp"
#include "../operation_error.hpp"

#include <localsock/error.hpp>

namespace localsock {

LocalStream::Impl::~Impl() {
    win32::cancel_pending_write(*this);
    if (!handle_passing || !pipe || in.decoder.ended()) // after end of stream nothing more can come
        return;
    nonblocking = true;
    read_shut = false; // this process still reads the handles out to close them
    std::byte scratch[4096];
    std::error_code ec;
    // Bounded: only what is in the pipe now, and not forever if the peer keeps
    // writing. A frame whose handles were dropped (too many, refused) still
    // delivered its bytes: the frames after it are read too. Only a read of
    // nothing ends it: empty pipe, end of stream, or a malformed frame.
    for (int round = 0; round < 4096; ++round)
        if (win32::read_stream(this, MutableBuffer(scratch, sizeof scratch), nullptr, ec) == 0)
            break;
}

LocalStream::LocalStream() noexcept = default;
LocalStream::LocalStream(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
LocalStream::LocalStream(LocalStream&&) noexcept = default;
LocalStream& LocalStream::operator=(LocalStream&&) noexcept = default;
LocalStream::~LocalStream() = default;

bool LocalStream::is_open() const noexcept { return win32::is_open(impl_.get()); }

const LocalSocketName& LocalStream::name() const noexcept {
    static const LocalSocketName none;
    return impl_ ? impl_->name : none;
}

LocalStream LocalStream::connect(const LocalSocketName& name, const ConnectOptions& options,
                                 std::error_code& ec) noexcept {
    detail::clear(ec);
    return LocalStream(win32::connect_pipe<Impl>(name, win32::PipeType::byte, options, ec));
}

std::pair<LocalStream, LocalStream> LocalStream::pair(std::error_code& ec) noexcept {
    detail::clear(ec);
    auto [first, second] = win32::make_connection_pair<Impl>(win32::PipeType::byte, ec);
    if (ec)
        return {};
    return {LocalStream(std::move(first)), LocalStream(std::move(second))};
}

LocalStream LocalStream::adopt(OwnedHandle handle, std::error_code& ec) noexcept {
    // A pipe handle says nothing about framing or which end it is.
    (void)handle;
    ec = std::make_error_code(std::errc::not_supported);
    return {};
}

std::size_t LocalStream::read_some(MutableBuffer buffer, std::error_code& ec) noexcept {
    return win32::read_stream(impl_.get(), buffer, nullptr, ec);
}

// Pipes have no scatter/gather: one buffer per call, as a short read or
// write is allowed to be.
std::size_t LocalStream::read_some(std::span<const MutableBuffer> buffers, std::error_code& ec) noexcept {
    for (const MutableBuffer& b : buffers)
        if (b.size() > 0)
            return read_some(b, ec);
    detail::clear(ec);
    if (!is_open())
        ec = win32::not_open();
    return 0;
}

std::size_t LocalStream::write_some(ConstBuffer buffer, std::error_code& ec) noexcept {
    detail::clear(ec);
    if (!is_open()) {
        ec = win32::not_open();
        return 0;
    }
    if (impl_->handle_passing)
        return win32::write_framed(*impl_, buffer, ec);
    if (impl_->write_shut) {
        ec = std::make_error_code(std::errc::broken_pipe);
        return 0;
    }
    if (buffer.size() == 0)
        return 0;
    return win32::write_raw(*impl_, buffer.data(), buffer.size(), ec);
}

std::size_t LocalStream::write_some(std::span<const ConstBuffer> buffers, std::error_code& ec) noexcept {
    for (const ConstBuffer& b : buffers)
        if (b.size() > 0)
            return write_some(b, ec);
    detail::clear(ec);
    if (!is_open())
        ec = win32::not_open();
    return 0;
}

void LocalStream::shutdown(Shutdown how, std::error_code& ec) noexcept {
    if (!win32::shutdown_needs_end_frame(impl_.get(), how, ec))
        return;
    if (!win32::flush_prefix(*impl_, ec))
        return;
    if (impl_->out.payload_owed > 0) { // a timed-out write left its frame unfinished
        ec = std::make_error_code(std::errc::operation_in_progress);
        return;
    }
    wire::Header end;
    end.kind = wire::Kind::end_of_stream;
    win32::start_frame(*impl_, end);
    if (win32::flush_prefix(*impl_, ec))
        impl_->write_shut = true;
}

void LocalStream::set_read_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    win32::set_timeout(impl_.get(), &Impl::read_timeout, timeout, ec);
}

void LocalStream::set_write_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    win32::set_timeout(impl_.get(), &Impl::write_timeout, timeout, ec);
}

void LocalStream::set_nonblocking(bool nonblocking, std::error_code& ec) noexcept {
    win32::set_nonblocking(impl_.get(), nonblocking, ec);
}

std::size_t LocalStream::max_handles_per_receive() const noexcept {
    return impl_ ? impl_->max_handles : max_handles_per_message;
}

void LocalStream::set_max_handles_per_receive(std::size_t limit, std::error_code& ec) noexcept {
    win32::set_handle_limit(impl_.get(), limit, ec);
}

void LocalStream::close(std::error_code& ec) noexcept { win32::close_connection(impl_, ec); }

native_handle_type LocalStream::native_handle() const noexcept {
    return impl_ ? impl_->pipe.get() : invalid_native_handle;
}

OwnedHandle LocalStream::release() noexcept { return win32::release_pipe(impl_); }

} // namespace localsock
