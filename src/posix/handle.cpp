// OwnedHandle on POSIX: a file descriptor.
#include "descriptor.hpp"

#include <localsock/handle.hpp>

#include <fcntl.h>
#include <unistd.h>

namespace localsock {

void detail::close_native_handle(native_handle_type fd) noexcept {
    // Not retried on EINTR: on Linux the descriptor is gone either way, and a
    // retry could close a descriptor another thread has just been given.
    ::close(fd);
}

OwnedHandle OwnedHandle::duplicate(std::error_code& ec) const noexcept {
    ec.clear();
    const int fd = ::fcntl(handle_, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        ec = posix::last_error();
        return {};
    }
    return OwnedHandle(fd);
}

void OwnedHandle::set_inheritable(bool inheritable, std::error_code& ec) noexcept {
    ec.clear();
    const int flags = ::fcntl(handle_, F_GETFD);
    const int wanted = inheritable ? (flags & ~FD_CLOEXEC) : (flags | FD_CLOEXEC);
    if (flags < 0 || (wanted != flags && ::fcntl(handle_, F_SETFD, wanted) != 0))
        ec = posix::last_error();
}

} // namespace localsock
