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

} // namespace localsock
