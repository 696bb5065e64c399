// LocalStream::send / receive on POSIX: descriptors as SCM_RIGHTS ancillary data.
#include "descriptor.hpp"
#include "stream_impl.hpp"

#include <localsock/error.hpp>

#include <cstring>
#include <new>

#include <sys/socket.h>
#include <sys/uio.h>

namespace localsock {
namespace {

constexpr std::size_t control_space(std::size_t handles) noexcept {
    return CMSG_SPACE(sizeof(int) * handles);
}

// Room for the largest SCM_RIGHTS message, aligned for cmsghdr. Lives on the
// stack: no allocation per message.
union ControlBuffer {
    cmsghdr header;
    unsigned char bytes[control_space(max_handles_per_message)];
};

// Every descriptor one recvmsg installed in this process, owned from the
// moment the call returns: whatever happens next, they are either handed to
// the caller or closed here.
class ArrivedDescriptors {
public:
    // Walks every control message, bounded by msg_controllen (some kernels
    // report an untruncated cmsg_len), collecting SCM_RIGHTS payloads.
    explicit ArrivedDescriptors(const msghdr& message) noexcept {
        if (message.msg_control == nullptr)
            return;
        const auto* end = static_cast<const unsigned char*>(message.msg_control) + message.msg_controllen;
        for (const cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr;
             c = CMSG_NXTHDR(const_cast<msghdr*>(&message), const_cast<cmsghdr*>(c))) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0))
                continue;
            const unsigned char* data = CMSG_DATA(c);
            std::size_t payload = c->cmsg_len - CMSG_LEN(0);
            if (data + payload > end)
                payload = static_cast<std::size_t>(end - data);
            for (std::size_t offset = 0; offset + sizeof(int) <= payload && count_ < capacity; offset += sizeof(int))
                std::memcpy(&fds_[count_++], data + offset, sizeof(int));
        }
    }
    ArrivedDescriptors(const ArrivedDescriptors&) = delete;
    ArrivedDescriptors& operator=(const ArrivedDescriptors&) = delete;
    ~ArrivedDescriptors() {
        for (std::size_t i = 0; i < count_; ++i)
            detail::close_native_handle(fds_[i]);
    }

    std::size_t size() const noexcept { return count_; }

    bool make_cloexec(std::error_code& ec) noexcept {
        for (std::size_t i = 0; i < count_; ++i)
            if (!posix::set_cloexec(fds_[i], ec))
                return false;
        return true;
    }

    // Moves every descriptor into `out`, or none (and keeps them to close)
    // if `out` cannot grow.
    bool hand_over(std::vector<OwnedHandle>& out, std::error_code& ec) noexcept {
        try {
            out.reserve(out.size() + count_);
        } catch (const std::bad_alloc&) {
            ec = std::make_error_code(std::errc::not_enough_memory);
            return false;
        } catch (const std::length_error&) {
            ec = std::make_error_code(std::errc::not_enough_memory);
            return false;
        }
        for (std::size_t i = 0; i < count_; ++i)
            out.emplace_back(fds_[i]); // cannot throw after reserve
        count_ = 0;
        return true;
    }

private:
    static constexpr std::size_t capacity = sizeof(ControlBuffer) / sizeof(int);
    int fds_[capacity];
    std::size_t count_ = 0;
};

} // namespace

std::size_t LocalStream::send(ConstBuffer bytes, std::span<const BorrowedHandle> handles,
                              std::error_code& ec) noexcept {
    ec.clear();
    if (handles.empty())
        return write_all(bytes, ec);
    if (!is_open()) {
        ec = posix::not_open();
        return 0;
    }
    if (!impl_->handle_passing) {
        ec = errc::handle_passing_disabled;
        return 0;
    }
    if (bytes.size() == 0) {
        ec = errc::handles_need_data;
        return 0;
    }
    if (handles.size() > max_handles_per_message) {
        ec = errc::too_many_handles;
        return 0;
    }

    ControlBuffer control;
    const std::size_t payload = sizeof(int) * handles.size();
    std::memset(control.bytes, 0, control_space(handles.size()));
    iovec data{const_cast<void*>(bytes.data()), bytes.size()};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control.bytes;
    message.msg_controllen = control_space(handles.size());
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(payload);
    unsigned char* out = CMSG_DATA(header);
    for (const BorrowedHandle handle : handles) {
        const int fd = handle.get();
        std::memcpy(out, &fd, sizeof fd);
        out += sizeof fd;
    }

    const std::size_t sent =
        posix::transfer(impl_.get(), ec, [&](int fd) { return posix::send_message(fd, message); });
    // The descriptors went with the first byte. The rest follows as plain
    // data: attaching them again would deliver them twice.
    if (ec || sent == bytes.size())
        return sent;
    const auto* rest = static_cast<const std::byte*>(bytes.data()) + sent;
    return sent + write_all(ConstBuffer(rest, bytes.size() - sent), ec);
}

std::size_t LocalStream::receive(MutableBuffer buffer, std::vector<OwnedHandle>& handles,
                                 std::error_code& ec) noexcept {
    ec.clear();
    if (!is_open()) {
        ec = posix::not_open();
        return 0;
    }
    if (buffer.size() == 0)
        return 0; // recvmsg would say 0, which means end of stream

    ControlBuffer control;
    iovec data{buffer.data(), buffer.size()};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control.bytes;
    const std::size_t limit = impl_->handle_passing ? impl_->max_handles : 0;
    message.msg_controllen = control_space(limit);
    const std::size_t n =
        posix::transfer(impl_.get(), ec, [&](int fd) { return posix::receive_message(fd, message); });
    if (ec)
        return 0;

    ArrivedDescriptors arrived(message);
    if (arrived.size() == 0 && (message.msg_flags & MSG_CTRUNC) == 0)
        return n;
    // MSG_CTRUNC: the ones that fit were installed, the rest dropped. More
    // than the limit can also fit, since CMSG_SPACE rounds up. Either way the
    // message is incomplete: close what came (the destructor does) and say so.
    if ((message.msg_flags & MSG_CTRUNC) != 0 || arrived.size() > limit) {
        ec = errc::handles_truncated;
        return n;
    }
    if (posix::received_descriptors_need_cloexec && !arrived.make_cloexec(ec))
        return n;
    arrived.hand_over(handles, ec);
    return n;
}

} // namespace localsock
