// Private: control-message buffers and the ownership of received
// descriptors — the parts of SCM_RIGHTS handling every POSIX socket type
// shares (streams in handle_passing.cpp, messages in message_io.cpp, typed
// ancillary data in ancillary.cpp).
#pragma once

#include "descriptor.hpp"

#include <localsock/handle.hpp>
#include <localsock/stream.hpp>

#include <algorithm>
#include <cstring>
#include <exception>
#include <span>
#include <system_error>
#include <vector>

#include <sys/socket.h>

namespace localsock::posix {

constexpr std::size_t control_space(std::size_t handles) noexcept {
    return CMSG_SPACE(sizeof(int) * handles);
}

// Room for the largest SCM_RIGHTS message, aligned for cmsghdr. Lives on the
// stack: no allocation per message.
// Receives also leave room for the control messages a socket option can add
// to every message (credentials with SO_PASSCRED, a timestamp), so that those
// never push a message into MSG_CTRUNC and get its descriptors closed.
inline constexpr std::size_t option_control_room = 64;

constexpr std::size_t receive_control_space(std::size_t handles) noexcept {
    return control_space(handles) + option_control_room;
}

union ControlBuffer {
    cmsghdr header;
    unsigned char bytes[receive_control_space(max_handles_per_message)];
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
                set_cloexec(fd, ec);
        });
        return !ec;
    }

    // Leaves them open: their owner is the buffer they arrived in (an
    // ancillary::Received).
    void keep() noexcept { handed_over_ = true; }

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


// Writes one SCM_RIGHTS message for `handles` at the start of `control` and
// returns its CMSG_SPACE (what msg_controllen must be). Only the alignment
// padding after cmsg_len is left to initialise, with one fixed store.
template <class Handle>
std::size_t write_rights(ControlBuffer& control, std::span<const Handle> handles) noexcept {
    const std::size_t space = control_space(handles.size());
    static_assert(control_space(1) - CMSG_LEN(sizeof(int)) <= 8);
    std::memset(control.bytes + space - 8, 0, 8);
    cmsghdr header{};
    header.cmsg_level = SOL_SOCKET;
    header.cmsg_type = SCM_RIGHTS;
    header.cmsg_len = CMSG_LEN(sizeof(int) * handles.size());
    std::memcpy(control.bytes, &header, sizeof header);
    unsigned char* out = control.bytes + CMSG_LEN(0);
    for (const Handle& handle : handles) {
        const int fd = handle.get();
        std::memcpy(out, &fd, sizeof fd);
        out += sizeof fd;
    }
    return space;
}

} // namespace localsock::posix
