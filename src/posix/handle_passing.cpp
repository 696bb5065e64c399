// LocalStream::send / receive on POSIX: descriptors as SCM_RIGHTS ancillary data.
#include "descriptor.hpp"
#include "stream_impl.hpp"
#include "../operation_error.hpp"

#include <localsock/error.hpp>

#include <algorithm>
#include <cstring>

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

// Every descriptor one recvmsg installed in this process, read in place from
// the control buffer and owned from the moment the call returns: whatever
// happens next, they are either handed to the caller or closed here.
class ArrivedDescriptors {
public:
    explicit ArrivedDescriptors(const msghdr& message) noexcept : message_(message) {
        walk([this](const unsigned char* data, std::size_t count) {
            if (first_ == nullptr) {
                first_ = data;
                first_count_ = count;
            } else {
                more_ = true; // not on Linux, which sends one SCM_RIGHTS per recvmsg
            }
            count_ += count;
        });
    }
    ArrivedDescriptors(const ArrivedDescriptors&) = delete;
    ArrivedDescriptors& operator=(const ArrivedDescriptors&) = delete;
    ~ArrivedDescriptors() {
        if (!handed_over_)
            for_each([](int fd) { detail::close_native_handle(fd); });
    }

    std::size_t size() const noexcept { return count_; }

    bool make_cloexec(std::error_code& ec) noexcept {
        for_each([&](int fd) {
            if (!ec)
                posix::set_cloexec(fd, ec);
        });
        return !ec;
    }

    // Appends every descriptor to `out`, or none (and keeps them to close)
    // if `out` cannot grow.
    bool hand_over(std::vector<OwnedHandle>& out, std::error_code& ec) noexcept {
        if (out.capacity() - out.size() < count_) {
            try {
                out.reserve(out.size() + count_);
            } catch (const std::exception&) {
                ec = std::make_error_code(std::errc::not_enough_memory);
                return false;
            }
        }
        for_each([&](int fd) { out.emplace_back(fd); }); // cannot throw: capacity is there
        handed_over_ = true;
        return true;
    }

private:
    // Calls visit(data, count) for the descriptor array of every SCM_RIGHTS
    // message, bounded by msg_controllen (some kernels report an untruncated
    // cmsg_len). Every control message is walked: FreeBSD can add SCM_CREDS.
    template <class Visit>
    void walk(Visit visit) const noexcept {
        if (message_.msg_controllen == 0)
            return;
        const auto* end = static_cast<const unsigned char*>(message_.msg_control) + message_.msg_controllen;
        for (const cmsghdr* c = CMSG_FIRSTHDR(&message_); c != nullptr;
             c = CMSG_NXTHDR(const_cast<msghdr*>(&message_), const_cast<cmsghdr*>(c))) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0))
                continue;
            const unsigned char* data = CMSG_DATA(c);
            const std::size_t payload = std::min<std::size_t>(c->cmsg_len - CMSG_LEN(0), end - data);
            visit(data, payload / sizeof(int));
        }
    }

    template <class Visit>
    static void visit_array(const unsigned char* data, std::size_t count, Visit& visit) noexcept {
        for (std::size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, data + i * sizeof(int), sizeof fd);
            visit(fd);
        }
    }

    // Visits every descriptor; the common single array without walking again.
    template <class Visit>
    void for_each(Visit visit) const noexcept {
        if (!more_) {
            visit_array(first_, first_count_, visit);
            return;
        }
        walk([&](const unsigned char* data, std::size_t count) { visit_array(data, count, visit); });
    }

    const msghdr& message_;
    const unsigned char* first_ = nullptr;
    std::size_t first_count_ = 0;
    std::size_t count_ = 0;
    bool more_ = false;
    bool handed_over_ = false;
};

} // namespace

// Lent or owned, a handle is one descriptor: one body serves both spans
// without copying them into a common type first.
template <class Handle>
std::size_t LocalStream::send_handles(ConstBuffer bytes, std::span<const Handle> handles,
                                      std::error_code& ec) noexcept {
    detail::clear(ec);
    if (handles.empty())
        return write_all(bytes, ec);
    if (!posix::is_open(impl_.get())) {
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
    // The kernel reads cmsg_len bytes; only the alignment padding after them
    // (at most the last 8 bytes) is left to initialise, with one fixed store.
    static_assert(control_space(1) - CMSG_LEN(sizeof(int)) <= 8);
    std::memset(control.bytes + control_space(handles.size()) - 8, 0, 8);
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
    for (const Handle& handle : handles) {
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

std::size_t LocalStream::send(ConstBuffer bytes, std::span<const BorrowedHandle> handles,
                              std::error_code& ec) noexcept {
    return send_handles(bytes, handles, ec);
}

std::size_t LocalStream::send(ConstBuffer bytes, std::span<const OwnedHandle> handles,
                              std::error_code& ec) noexcept {
    return send_handles(bytes, handles, ec);
}

std::size_t LocalStream::receive(MutableBuffer buffer, std::vector<OwnedHandle>& handles,
                                 std::error_code& ec) noexcept {
    detail::clear(ec);
    if (!posix::is_open(impl_.get())) {
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
