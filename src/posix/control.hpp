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

// Linux 6.5+ SO_PASSPIDFD makes the kernel install a pidfd of the sender in
// every received message (SCM_PIDFD). Older headers lack the constant; the
// value is part of the kernel ABI.
#if defined(__linux__)
inline constexpr bool platform_has_scm_pidfd = true;
#  if defined(SCM_PIDFD)
inline constexpr int scm_pidfd = SCM_PIDFD;
#  else
inline constexpr int scm_pidfd = 0x04;
#  endif
#else
inline constexpr bool platform_has_scm_pidfd = false;
inline constexpr int scm_pidfd = 0;
#endif

// One control message read out of a buffer of received control data.
struct ControlMessageView {
    int level = 0;
    int type = 0;
    const unsigned char* payload = nullptr;
    std::size_t payload_size = 0; // bounded by the buffer, whatever cmsg_len claims
    std::size_t next = 0;         // offset of the following message
};

// The control message at `offset` of the `size` bytes at `base`; false at
// the end. The one walker of received control data (descriptor ownership
// here, ancillary::Received's iterator): a header must fit whole before it
// is read, a cmsg_len below the header ends the walk, and a payload is cut at
// the end of the bytes received (some kernels report an untruncated
// cmsg_len). Never forms a pointer outside the buffer, whatever it holds.
inline bool read_control_message(const unsigned char* base, std::size_t size, std::size_t offset,
                                 ControlMessageView& out) noexcept {
    if (offset > size || size - offset < CMSG_LEN(0))
        return false;
    cmsghdr header;
    std::memcpy(&header, base + offset, sizeof header);
    if (header.cmsg_len < CMSG_LEN(0))
        return false;
    const std::size_t room = size - offset - CMSG_LEN(0);
    out.level = header.cmsg_level;
    out.type = header.cmsg_type;
    out.payload = base + offset + CMSG_LEN(0);
    out.payload_size = std::min<std::size_t>(header.cmsg_len - CMSG_LEN(0), room);
    // CMSG_SPACE of a payload no larger than `room` cannot overflow.
    out.next = std::min<std::size_t>(offset + CMSG_SPACE(out.payload_size), size);
    return true;
}

// What kind of descriptor a control message installed.
enum class ArrivedKind { handle /* SCM_RIGHTS */, pidfd /* SCM_PIDFD */ };

// Calls visit(kind, data, count) for the descriptor array of every control
// message that carries descriptors the kernel installed in this process.
template <class Visit>
void for_each_descriptor_message(const unsigned char* base, std::size_t size, Visit visit) noexcept {
    ControlMessageView m;
    for (std::size_t offset = 0; read_control_message(base, size, offset, m); offset = m.next) {
        if (m.level != SOL_SOCKET)
            continue;
        if (m.type == SCM_RIGHTS)
            visit(ArrivedKind::handle, m.payload, m.payload_size / sizeof(int));
        else if (platform_has_scm_pidfd && m.type == scm_pidfd)
            visit(ArrivedKind::pidfd, m.payload, m.payload_size / sizeof(int));
        if (m.next <= offset)
            break;
    }
}

// Closes a descriptor that arrived. A policy, so that the fuzzer can walk
// hostile buffers with a recording closer instead of closing random numbers.
struct CloseDescriptor {
    void operator()(int fd) const noexcept { detail::close_native_handle(fd); }
};

// Every descriptor one recvmsg installed in this process, read in place from
// the control buffer and owned from the moment the call returns: whatever
// happens next, they are either handed to the caller or closed here. That is
// SCM_RIGHTS (the handles) and every other control message that carries a
// descriptor (SCM_PIDFD with SO_PASSPIDFD), which no caller of the handle
// forms asked for and which are closed unless kept.
template <class Close = CloseDescriptor>
class BasicArrivedDescriptors {
public:
    BasicArrivedDescriptors(const void* control, std::size_t size, Close close = {}) noexcept
        : base_(static_cast<const unsigned char*>(control)), size_(size), close_(close) {
        if (size_ == 0)
            return; // the common message: no control data, nothing to walk
        for_each_descriptor_message(base_, size_, [this](ArrivedKind kind, const unsigned char* data, std::size_t count) {
            if (kind == ArrivedKind::pidfd) {
                pidfds_ += count;
                return;
            }
            if (first_ == nullptr) {
                first_ = data;
                first_count_ = count;
            } else {
                more_ = true; // not on Linux, which sends one SCM_RIGHTS per recvmsg
            }
            last_rights_offset_ = static_cast<std::size_t>(data - base_) - CMSG_LEN(0);
            last_rights_count_ = count;
            count_ += count;
        });
    }
    explicit BasicArrivedDescriptors(const msghdr& message, Close close = {}) noexcept
        : BasicArrivedDescriptors(message.msg_control, message.msg_controllen, close) {}
    BasicArrivedDescriptors(const BasicArrivedDescriptors&) = delete;
    BasicArrivedDescriptors& operator=(const BasicArrivedDescriptors&) = delete;
    ~BasicArrivedDescriptors() {
        if (handles_owned_ && count_ != 0)
            for_each([this](int fd) { close_(fd); });
        if (pidfds_owned_ && pidfds_ != 0)
            for_each_of(ArrivedKind::pidfd, [this](int fd) { close_(fd); });
    }

    // SCM_RIGHTS descriptors (the handles).
    std::size_t size() const noexcept { return count_; }
    // Descriptors of other control messages (SCM_PIDFD).
    std::size_t other_descriptors() const noexcept { return pidfds_; }

    bool make_cloexec(std::error_code& ec) noexcept {
        for_each([&](int fd) {
            if (!ec)
                set_cloexec(fd, ec);
        });
        for_each_of(ArrivedKind::pidfd, [&](int fd) {
            if (!ec)
                set_cloexec(fd, ec);
        });
        return !ec;
    }

    // Leaves them all open: their owner is the buffer they arrived in (an
    // ancillary::Received).
    void keep() noexcept { handles_owned_ = pidfds_owned_ = false; }

    // After MSG_CTRUNC, whether the kernel stopped installing SCM_RIGHTS
    // descriptors while the buffer of `capacity` bytes still had room for
    // another: then the process ran out of descriptors (EMFILE/ENFILE), not
    // of control buffer. The kernel puts SCM_RIGHTS last, as many as fit in
    // the space left ((room - header) / sizeof(int)).
    bool stopped_with_room(std::size_t capacity) const noexcept {
        const std::size_t at = first_ != nullptr ? last_rights_offset_ : size_;
        if (capacity <= at || capacity - at <= CMSG_LEN(0))
            return false;
        const std::size_t fitted = (capacity - at - CMSG_LEN(0)) / sizeof(int);
        return (first_ != nullptr ? last_rights_count_ : 0) < fitted;
    }

    // Appends every SCM_RIGHTS descriptor to `out`, or none (and keeps them
    // to close) if `out` cannot grow. Other descriptors stay to be closed.
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
        handles_owned_ = false;
        return true;
    }

    // Hands the first descriptor of the other messages (the pidfd) to the
    // caller (-1 if none came); the rest stay to be closed.
    int take_first_pidfd() noexcept {
        bool first = true;
        int taken = -1;
        for_each_of(ArrivedKind::pidfd, [&](int fd) {
            if (first)
                taken = fd;
            else if (pidfds_owned_)
                close_(fd);
            first = false;
        });
        pidfds_owned_ = false;
        return taken;
    }
    int first_pidfd() const noexcept {
        bool first = true;
        int found = -1;
        for_each_of(ArrivedKind::pidfd, [&](int fd) {
            if (first)
                found = fd;
            first = false;
        });
        return found;
    }
    // Keeps the other descriptors open (their owner took them over).
    void keep_handles() noexcept { handles_owned_ = false; }
    void keep_pidfds() noexcept { pidfds_owned_ = false; }

private:
    template <class Visit>
    static void visit_array(const unsigned char* data, std::size_t count, Visit& visit) noexcept {
        for (std::size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, data + i * sizeof(int), sizeof fd);
            visit(fd);
        }
    }

    template <class Visit>
    void for_each_of(ArrivedKind wanted, Visit visit) const noexcept {
        for_each_descriptor_message(base_, size_, [&](ArrivedKind kind, const unsigned char* data, std::size_t count) {
            if (kind == wanted)
                visit_array(data, count, visit);
        });
    }

    // Visits every SCM_RIGHTS descriptor; the common single array without
    // walking again.
    template <class Visit>
    void for_each(Visit visit) const noexcept {
        if (!more_) {
            if (first_ != nullptr)
                visit_array(first_, first_count_, visit);
            return;
        }
        for_each_of(ArrivedKind::handle, visit);
    }

    const unsigned char* base_;
    std::size_t size_;
    [[no_unique_address]] Close close_;
    const unsigned char* first_ = nullptr;
    std::size_t first_count_ = 0;
    std::size_t count_ = 0;
    std::size_t pidfds_ = 0;
    std::size_t last_rights_offset_ = 0;
    std::size_t last_rights_count_ = 0;
    bool more_ = false;
    bool handles_owned_ = true;
    bool pidfds_owned_ = true;
};

using ArrivedDescriptors = BasicArrivedDescriptors<>;

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
