// Private: what a LocalSeqpacket is on Windows — a message-mode pipe
// (PipeCore) in which, with handle_passing, each pipe message is one
// frame (docs/wire-format.md, "Message mode"), plus the buffers and events
// it reuses from message to message.
#pragma once

#include "../wire/frame.hpp"
#include "pipe_core.hpp"

#include <localsock/seqpacket.hpp>

#include <memory>
#include <new>
#include <span>

namespace localsock {
namespace win32 {

// Bytes kept from one message to the next: it only grows (up to what the
// owner chooses to keep), so steady traffic allocates nothing.
class ByteBuffer {
public:
    std::byte* data() const noexcept { return data_.get(); }
    std::size_t capacity() const noexcept { return capacity_; }
    // At least `size` bytes; the contents are not kept when it grows.
    bool reserve(std::size_t size) noexcept {
        if (size <= capacity_)
            return true;
        data_.reset(new (std::nothrow) std::byte[size]);
        capacity_ = data_ ? size : 0;
        return data_ != nullptr;
    }
    void release() noexcept {
        data_.reset();
        capacity_ = 0;
    }

private:
    std::unique_ptr<std::byte[]> data_;
    std::size_t capacity_ = 0;
};

} // namespace win32

struct LocalSeqpacket::Impl : win32::PipeCore {
    bool ended = false;   // the peer's end-of-stream message came, or the pipe closed
    bool corrupt = false; // a malformed message: nothing more can be trusted
    // Messages are read through this buffer (allocated by the first receive
    // that needs it): a framed message's prefix and payload in one ReadFile,
    // a whole message into scattered buffers, and the rest of a message too
    // long for the caller's buffers, read out and dropped.
    win32::ByteBuffer receive_buffer;
    // Messages are gathered here (frame prefix, then the caller's buffers)
    // so that each goes out in one WriteFile, as a pipe message must; a
    // non-blocking send leaves its write in flight from here (PipeCore).
    win32::ByteBuffer send_buffer;

    // A write still in flight is cancelled (handles it carried, if not a byte
    // went out, are closed in the peer). Messages left unread that carry
    // handles are in this process already: read them out and close those.
    ~Impl();
};

namespace win32 {

// The one non-empty buffer of `parts`, or null if there are several (or
// none): a message of one buffer can go straight to or from the pipe.
template <class Buffer>
const Buffer* single_part(std::span<const Buffer> parts) noexcept {
    const Buffer* found = nullptr;
    for (const Buffer& part : parts) {
        if (part.size() == 0)
            continue;
        if (found != nullptr)
            return nullptr;
        found = &part;
    }
    return found;
}

// One message out: `parts` (`payload` bytes in all) gathered, `handles`
// duplicated into the peer (the caller checked them), as a frame of `kind`
// when the connection is framed.
void send_message(LocalSeqpacket::Impl& s, std::span<const ConstBuffer> parts, std::size_t payload,
                  std::span<const BorrowedHandle> handles, wire::Kind kind, std::error_code& ec) noexcept;

// One message in. Its handles are appended to *handles, or closed and
// reported as control truncation if handles is null (or there are more than
// the limit). message_size == 0: the peer closed (or shut down writing).
ReceiveResult receive_message(LocalSeqpacket::Impl& s, std::span<const MutableBuffer> parts,
                              std::vector<OwnedHandle>* handles, std::error_code& ec) noexcept;

} // namespace win32
} // namespace localsock
