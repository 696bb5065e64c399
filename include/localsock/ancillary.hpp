// localsock: typed ancillary (control) data for POSIX local sockets.
//
// A Builder assembles the control messages of one send; a Received holds the
// control messages of one receive. Both keep their bytes in an inline buffer
// aligned for the platform's control-message header, so no caller ever has
// to get the alignment or the CMSG_SPACE/CMSG_LEN arithmetic right, and
// neither allocates. On Windows every operation fails with not_supported
// (handles travel with send()/receive() instead).
#pragma once

#include <localsock/config.hpp>
#include <localsock/handle.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <system_error>
#include <type_traits>
#include <vector>

namespace localsock::detail {
struct AncillaryAccess;
}

namespace localsock::ancillary {

// Bytes of control data one Builder or Received holds: room for the largest
// SCM_RIGHTS message (253 descriptors) plus credentials, a timestamp and
// user-defined messages.
inline constexpr std::size_t capacity = 2048;

// Who sent a message, as the kernel vouches for it: SCM_CREDENTIALS on Linux
// (the receiver enables it with set_receive_credentials), SCM_CREDS on FreeBSD.
struct Credentials {
    std::int64_t pid = 0;
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    friend bool operator==(const Credentials&, const Credentials&) = default;
};

// The credentials of the calling process (pid, effective uid and gid on
// Linux, which is what the kernel attaches when the sender attaches none).
LOCALSOCK_API Credentials own_credentials() noexcept;

using Timestamp = std::chrono::sys_time<std::chrono::nanoseconds>;

// The control messages for one send.
class LOCALSOCK_API Builder {
public:
    Builder() noexcept = default;

    // SCM_RIGHTS: the handles travel with the message. They are lent: the
    // caller keeps them and must keep them open until the send returns.
    Builder& add_handles(std::span<const BorrowedHandle> handles);
    bool add_handles(std::span<const BorrowedHandle> handles, std::error_code& ec) noexcept;

    // Linux SCM_CREDENTIALS: the sender's pid/uid/gid. The kernel checks
    // them at send time: a process may send its own, and a privileged one
    // (CAP_SYS_ADMIN for pid, CAP_SETUID/CAP_SETGID) others; anything else
    // fails the send with EPERM. FreeBSD SCM_CREDS: the kernel fills them in
    // (the argument must be own_credentials()).
    Builder& add_credentials(const Credentials& credentials = own_credentials());
    bool add_credentials(const Credentials& credentials, std::error_code& ec) noexcept;

    // The extension point: any control message by level, type and payload
    // (the payload is copied; its alignment does not matter).
    Builder& add(int level, int type, std::span<const std::byte> payload);
    bool add(int level, int type, std::span<const std::byte> payload, std::error_code& ec) noexcept;
    template <class T>
        requires std::is_trivially_copyable_v<T>
    Builder& add(int level, int type, const T& value) {
        return add(level, type, std::span<const std::byte>(reinterpret_cast<const std::byte*>(&value), sizeof(T)));
    }

    void clear() noexcept { size_ = 0; }
    bool empty() const noexcept { return size_ == 0; }
    // The encoded control messages (what goes into msg_control).
    std::span<const std::byte> bytes() const noexcept { return {storage_, size_}; }

private:
    friend struct detail::AncillaryAccess; // the backends read it
    alignas(std::max_align_t) std::byte storage_[capacity];
    std::size_t size_ = 0;
};

// The control messages of one receive. Every descriptor that arrived
// (SCM_RIGHTS, and the SCM_PIDFD that Linux adds to each message once
// SO_PASSPIDFD is switched on) is owned by this object from the moment the
// receive returns: take_handles() / take_pidfd() hand them over, otherwise
// the destructor or the next receive into this object closes them.
class LOCALSOCK_API Received {
public:
    struct Message {
        int level = 0;
        int type = 0;
        std::span<const std::byte> payload; // unaligned: read it with as<T>()

        template <class T>
            requires std::is_trivially_copyable_v<T>
        std::optional<T> as() const noexcept {
            if (payload.size() < sizeof(T))
                return std::nullopt;
            T value;
            std::memcpy(&value, payload.data(), sizeof value);
            return value;
        }
    };

    class iterator {
    public:
        using value_type = Message;
        using difference_type = std::ptrdiff_t;
        iterator() = default;
        const Message& operator*() const noexcept { return current_; }
        const Message* operator->() const noexcept { return &current_; }
        iterator& operator++() noexcept {
            offset_ = next_;
            load();
            return *this;
        }
        iterator operator++(int) noexcept {
            iterator old = *this;
            ++*this;
            return old;
        }
        friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.offset_ == b.offset_; }

    private:
        friend class Received;
        iterator(const Received* owner, std::size_t offset) noexcept : owner_(owner), offset_(offset) { load(); }
        LOCALSOCK_API void load() noexcept;

        const Received* owner_ = nullptr;
        std::size_t offset_ = 0;
        std::size_t next_ = 0;
        Message current_;
    };

    Received() noexcept = default;
    Received(const Received&) = delete;
    Received& operator=(const Received&) = delete;
    ~Received() { clear(); }

    // Closes every descriptor not taken and forgets all messages.
    void clear() noexcept;

    // Every control message, in arrival order. SCM_RIGHTS payloads show the
    // descriptor numbers; they stay owned here until take_handles().
    iterator begin() const noexcept { return iterator(this, 0); }
    iterator end() const noexcept { return iterator(this, size_); }
    bool empty() const noexcept { return size_ == 0; }

    // MSG_CTRUNC: more control data came than fitted (or more handles than
    // the socket accepts); the descriptors that did come were closed.
    bool truncated() const noexcept { return truncated_; }

    // How many descriptors are owned here, and handing them over (appended
    // in arrival order; none are appended if `out` cannot grow).
    std::size_t handle_count() const noexcept;
    std::vector<OwnedHandle> take_handles();
    bool take_handles(std::vector<OwnedHandle>& out, std::error_code& ec) noexcept;

    // Linux SCM_PIDFD (the receiver set SO_PASSPIDFD on the socket, kernel
    // 6.5+): a pidfd of the sending process. pidfd() lends it (invalid if
    // none came or it was taken); take_pidfd() hands it over.
    BorrowedHandle pidfd() const noexcept;
    OwnedHandle take_pidfd() noexcept;

    // The typed readers of the standard messages.
    std::optional<Credentials> credentials() const noexcept; // SCM_CREDENTIALS / SCM_CREDS
    // SCM_TIMESTAMPNS / SCM_TIMESTAMP; nothing as well if the time it holds
    // is not one a Timestamp can represent (years 1677-2262) or not a time.
    std::optional<Timestamp> timestamp() const noexcept;

    // The payload of the first message of that level and type.
    std::optional<std::span<const std::byte>> find(int level, int type) const noexcept;
    template <class T>
        requires std::is_trivially_copyable_v<T>
    std::optional<T> get(int level, int type) const noexcept {
        for (const Message& m : *this)
            if (m.level == level && m.type == type)
                return m.as<T>();
        return std::nullopt;
    }

private:
    friend struct detail::AncillaryAccess; // the backends fill it
    alignas(std::max_align_t) std::byte storage_[capacity];
    std::size_t size_ = 0;
    bool truncated_ = false;
    bool handles_taken_ = false;
    bool pidfd_taken_ = false;
};

} // namespace localsock::ancillary
