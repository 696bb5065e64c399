// localsock: owning and borrowing wrappers for OS handles (fds / HANDLEs).
#pragma once

#include <localsock/config.hpp>

#include <system_error>
#include <utility>

namespace localsock {

namespace detail {
// Closes without retrying EINTR (retrying close can close a reused descriptor).
LOCALSOCK_API void close_native_handle(native_handle_type h) noexcept;
} // namespace detail

class OwnedHandle;

// A non-owning view of a handle: what the caller lends to send().
class BorrowedHandle {
public:
    BorrowedHandle() noexcept = default;
    explicit BorrowedHandle(native_handle_type h) noexcept : handle_(h) {}
    // Implicit: an owner can always be lent out.
    BorrowedHandle(const OwnedHandle& owner) noexcept;

    native_handle_type get() const noexcept { return handle_; }
    bool valid() const noexcept { return handle_ != invalid_native_handle; }
    explicit operator bool() const noexcept { return valid(); }

private:
    native_handle_type handle_ = invalid_native_handle;
};

// The sole owner of a handle: closes it on destruction. Move-only.
class LOCALSOCK_API OwnedHandle {
public:
    OwnedHandle() noexcept = default;
    // Takes ownership of h.
    explicit OwnedHandle(native_handle_type h) noexcept : handle_(h) {}

    OwnedHandle(OwnedHandle&& other) noexcept : handle_(other.release()) {}
    OwnedHandle& operator=(OwnedHandle&& other) noexcept {
        reset(other.release());
        return *this;
    }
    OwnedHandle(const OwnedHandle&) = delete;
    OwnedHandle& operator=(const OwnedHandle&) = delete;
    ~OwnedHandle() { reset(); }

    native_handle_type get() const noexcept { return handle_; }
    bool valid() const noexcept { return handle_ != invalid_native_handle; }
    explicit operator bool() const noexcept { return valid(); }
    BorrowedHandle borrow() const noexcept { return BorrowedHandle(handle_); }

    // Gives up ownership: the caller must close the returned handle.
    [[nodiscard]] native_handle_type release() noexcept {
        return std::exchange(handle_, invalid_native_handle);
    }
    // Closes the current handle (if any) and owns h instead.
    void reset(native_handle_type h = invalid_native_handle) noexcept {
        const native_handle_type old = std::exchange(handle_, h);
        if (old != invalid_native_handle && old != h)
            detail::close_native_handle(old);
    }

    // A second, independent owner of the same open file/socket/object;
    // close-on-exec (non-inheritable) like everything localsock creates.
    OwnedHandle duplicate() const;
    OwnedHandle duplicate(std::error_code& ec) const noexcept;

    // Whether child processes inherit this handle (across exec on POSIX,
    // CreateProcess with bInheritHandles on Windows). Everything localsock
    // hands out starts non-inheritable; switch it on only for the handle a
    // child must get, right before spawning it, and off (or close it) right
    // after: every child spawned meanwhile inherits it too. On POSIX,
    // posix_spawn_file_actions_adddup2 onto the child's descriptor number
    // gives the child an inheritable copy without touching this one.
    void set_inheritable(bool inheritable);
    void set_inheritable(bool inheritable, std::error_code& ec) noexcept;

private:
    native_handle_type handle_ = invalid_native_handle;
};

inline BorrowedHandle::BorrowedHandle(const OwnedHandle& owner) noexcept : handle_(owner.get()) {}

} // namespace localsock
