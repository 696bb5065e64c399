// LocalStream: the portable layer. Loops (read_exact, write_all), handle-list
// adapters and the throwing forms, all built on the backend's error-code
// primitives (src/<platform>/stream.cpp, src/<platform>/handle_passing.cpp).
#include "operation_error.hpp"

#include <localsock/error.hpp>
#include <localsock/stream.hpp>

#include <algorithm>
#include <array>

namespace localsock {
namespace {

constexpr std::size_t max_buffers_per_call = 64;

// A window onto a span of buffers that have been partly consumed: the first
// `offset` bytes of buffers[index] are done. Each step copies at most
// max_buffers_per_call buffer descriptors (never the bytes) onto the stack.
template <class Buffer>
class BufferCursor {
public:
    explicit BufferCursor(std::span<const Buffer> buffers) : buffers_(buffers) { skip_empty(); }

    bool done() const noexcept { return index_ == buffers_.size(); }

    std::span<const Buffer> window(std::array<Buffer, max_buffers_per_call>& storage) const noexcept {
        const std::size_t count = std::min(buffers_.size() - index_, storage.size());
        for (std::size_t i = 0; i < count; ++i)
            storage[i] = buffers_[index_ + i];
        const Buffer& first = buffers_[index_];
        storage[0] = Buffer(static_cast<Byte*>(first.data()) + offset_, first.size() - offset_);
        return {storage.data(), count};
    }

    void consume(std::size_t bytes) noexcept {
        while (bytes > 0 && !done()) {
            const std::size_t left = buffers_[index_].size() - offset_;
            const std::size_t step = std::min(left, bytes);
            offset_ += step;
            bytes -= step;
            if (offset_ == buffers_[index_].size()) {
                ++index_;
                offset_ = 0;
            }
        }
        skip_empty();
    }

private:
    using Byte = std::conditional_t<std::is_same_v<Buffer, ConstBuffer>, const std::byte, std::byte>;

    void skip_empty() noexcept {
        while (!done() && buffers_[index_].size() == offset_) {
            ++index_;
            offset_ = 0;
        }
    }

    std::span<const Buffer> buffers_;
    std::size_t index_ = 0;
    std::size_t offset_ = 0;
};

template <class Buffer>
std::size_t total_size(std::span<const Buffer> buffers) noexcept {
    std::size_t total = 0;
    for (const Buffer& b : buffers)
        total += b.size();
    return total;
}

} // namespace

// --- loops ------------------------------------------------------------------

// One buffer: plain reads, no scatter list (a recvmsg costs more than a recv).
std::size_t LocalStream::read_exact(MutableBuffer buffer, std::error_code& ec) noexcept {
    detail::clear(ec);
    std::size_t total = 0;
    while (total < buffer.size()) {
        auto* rest = static_cast<std::byte*>(buffer.data()) + total;
        const std::size_t n = read_some(MutableBuffer(rest, buffer.size() - total), ec);
        if (ec)
            return total;
        if (n == 0) {
            ec = errc::end_of_stream;
            return total;
        }
        total += n;
    }
    return total;
}

// Several buffers: the first call gets the caller's list as it is (usually it
// moves everything); only after a short transfer is a window built.
std::size_t LocalStream::read_exact(std::span<const MutableBuffer> buffers, std::error_code& ec) noexcept {
    detail::clear(ec);
    const std::size_t wanted = total_size(buffers);
    if (wanted == 0)
        return 0;
    std::size_t total = read_some(buffers, ec);
    if (ec || total == wanted)
        return total;
    if (total == 0) {
        ec = errc::end_of_stream;
        return 0;
    }
    BufferCursor<MutableBuffer> cursor(buffers);
    cursor.consume(total);
    std::array<MutableBuffer, max_buffers_per_call> storage;
    while (!cursor.done()) {
        const std::size_t n = read_some(cursor.window(storage), ec);
        if (ec)
            return total;
        if (n == 0) {
            ec = errc::end_of_stream;
            return total;
        }
        total += n;
        cursor.consume(n);
    }
    return total;
}

std::size_t LocalStream::write_all(ConstBuffer buffer, std::error_code& ec) noexcept {
    detail::clear(ec);
    std::size_t total = 0;
    while (total < buffer.size()) {
        const auto* rest = static_cast<const std::byte*>(buffer.data()) + total;
        const std::size_t n = write_some(ConstBuffer(rest, buffer.size() - total), ec);
        if (ec)
            return total;
        total += n;
    }
    return total;
}

std::size_t LocalStream::write_all(std::span<const ConstBuffer> buffers, std::error_code& ec) noexcept {
    detail::clear(ec);
    const std::size_t wanted = total_size(buffers);
    if (wanted == 0)
        return 0;
    std::size_t total = write_some(buffers, ec);
    if (ec || total == wanted)
        return total;
    BufferCursor<ConstBuffer> cursor(buffers);
    cursor.consume(total);
    std::array<ConstBuffer, max_buffers_per_call> storage;
    while (!cursor.done()) {
        const std::size_t n = write_some(cursor.window(storage), ec);
        if (ec)
            return total;
        total += n;
        cursor.consume(n);
    }
    return total;
}

// --- handle-list adapters -----------------------------------------------------

std::size_t LocalStream::send(ConstBuffer bytes, std::initializer_list<BorrowedHandle> handles,
                              std::error_code& ec) noexcept {
    return send(bytes, std::span<const BorrowedHandle>(handles.begin(), handles.size()), ec);
}

// --- throwing forms -----------------------------------------------------------

using detail::or_throw;

LocalStream LocalStream::connect(const LocalSocketName& name, std::error_code& ec) noexcept {
    return connect(name, ConnectOptions{}, ec);
}

LocalStream LocalStream::connect(const LocalSocketName& name, const ConnectOptions& options) {
    return detail::or_throw_opening("connect", name, [&](std::error_code& ec) { return connect(name, options, ec); });
}

std::pair<LocalStream, LocalStream> LocalStream::pair() {
    return detail::or_throw_opening("socket pair", {}, [&](std::error_code& ec) { return pair(ec); });
}

LocalStream LocalStream::adopt(OwnedHandle handle) {
    return detail::or_throw_opening("adopt stream", {},
                                    [&](std::error_code& ec) { return adopt(std::move(handle), ec); });
}

std::size_t LocalStream::read_some(MutableBuffer buffer) {
    return or_throw(*this, "read", [&](std::error_code& ec) { return read_some(buffer, ec); });
}
std::size_t LocalStream::read_some(std::span<const MutableBuffer> buffers) {
    return or_throw(*this, "read", [&](std::error_code& ec) { return read_some(buffers, ec); });
}
std::size_t LocalStream::write_some(ConstBuffer buffer) {
    return or_throw(*this, "write", [&](std::error_code& ec) { return write_some(buffer, ec); });
}
std::size_t LocalStream::write_some(std::span<const ConstBuffer> buffers) {
    return or_throw(*this, "write", [&](std::error_code& ec) { return write_some(buffers, ec); });
}
void LocalStream::read_exact(MutableBuffer buffer) {
    or_throw(*this, "read", [&](std::error_code& ec) { return read_exact(buffer, ec); });
}
void LocalStream::read_exact(std::span<const MutableBuffer> buffers) {
    or_throw(*this, "read", [&](std::error_code& ec) { return read_exact(buffers, ec); });
}
void LocalStream::write_all(ConstBuffer buffer) {
    or_throw(*this, "write", [&](std::error_code& ec) { return write_all(buffer, ec); });
}
void LocalStream::write_all(std::span<const ConstBuffer> buffers) {
    or_throw(*this, "write", [&](std::error_code& ec) { return write_all(buffers, ec); });
}
std::size_t LocalStream::send(ConstBuffer bytes, std::span<const BorrowedHandle> handles) {
    return or_throw(*this, "send", [&](std::error_code& ec) { return send(bytes, handles, ec); });
}
std::size_t LocalStream::send(ConstBuffer bytes, std::initializer_list<BorrowedHandle> handles) {
    return or_throw(*this, "send", [&](std::error_code& ec) { return send(bytes, handles, ec); });
}
std::size_t LocalStream::send(ConstBuffer bytes, std::span<const OwnedHandle> handles) {
    return or_throw(*this, "send", [&](std::error_code& ec) { return send(bytes, handles, ec); });
}

std::size_t LocalStream::receive(MutableBuffer buffer, std::vector<OwnedHandle>& handles) {
    return or_throw(*this, "receive", [&](std::error_code& ec) { return receive(buffer, handles, ec); });
}
std::size_t LocalStream::send(ConstBuffer bytes, const ancillary::Builder& control) {
    return or_throw(*this, "send", [&](std::error_code& ec) { return send(bytes, control, ec); });
}
ReceiveResult LocalStream::receive(MutableBuffer buffer, ancillary::Received& control, ReceiveFlags flags) {
    return or_throw(*this, "receive", [&](std::error_code& ec) { return receive(buffer, control, flags, ec); });
}
void LocalStream::set_receive_credentials(bool enabled) {
    or_throw(*this, "receive credentials", [&](std::error_code& ec) { set_receive_credentials(enabled, ec); });
}

void LocalStream::set_max_handles_per_receive(std::size_t limit) {
    or_throw(*this, "set handle limit", [&](std::error_code& ec) { set_max_handles_per_receive(limit, ec); });
}
void LocalStream::shutdown(Shutdown how) {
    or_throw(*this, "shutdown", [&](std::error_code& ec) { shutdown(how, ec); });
}
void LocalStream::set_read_timeout(std::chrono::milliseconds timeout) {
    or_throw(*this, "set read timeout", [&](std::error_code& ec) { set_read_timeout(timeout, ec); });
}
void LocalStream::set_write_timeout(std::chrono::milliseconds timeout) {
    or_throw(*this, "set write timeout", [&](std::error_code& ec) { set_write_timeout(timeout, ec); });
}
void LocalStream::close() { detail::close_or_throw(*this); }

void LocalStream::set_nonblocking(bool nonblocking) {
    or_throw(*this, "set non-blocking", [&](std::error_code& ec) { set_nonblocking(nonblocking, ec); });
}
PeerCredentials LocalStream::peer_credentials() const {
    return or_throw(*this, "peer credentials", [&](std::error_code& ec) { return peer_credentials(ec); });
}
OwnedHandle LocalStream::peer_process() const {
    return or_throw(*this, "peer process", [&](std::error_code& ec) { return peer_process(ec); });
}

} // namespace localsock
