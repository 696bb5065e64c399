// Private: what a LocalStream is on POSIX — a connected AF_UNIX stream socket.
#pragma once

#include <localsock/stream.hpp>

#include <cerrno>
#include <system_error>

namespace localsock {

struct LocalStream::Impl {
    OwnedHandle socket;
    LocalSocketName name;
    std::size_t max_handles = max_handles_per_message;
    bool nonblocking = false;

    int fd() const noexcept { return socket.get(); }

    // errno of a failed read or write, as the portable condition: EAGAIN is
    // "would block" in non-blocking mode and the expiry of SO_RCVTIMEO /
    // SO_SNDTIMEO otherwise.
    std::error_code io_error(int error) const noexcept {
        if (error == EAGAIN || error == EWOULDBLOCK)
            return std::make_error_code(nonblocking ? std::errc::operation_would_block : std::errc::timed_out);
        return {error, std::system_category()};
    }
};

namespace posix {
inline std::error_code not_open() noexcept { return std::make_error_code(std::errc::bad_file_descriptor); }
} // namespace posix

} // namespace localsock
