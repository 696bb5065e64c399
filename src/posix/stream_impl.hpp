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
    bool handle_passing = true;

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

// LocalStream::is_open() without a call into the exported member.
inline bool is_open(const LocalStream::Impl* impl) noexcept { return impl != nullptr && impl->socket.valid(); }

// One I/O system call on a stream: checks the stream is open, makes the call
// with its descriptor, and maps a failure to the portable condition.
template <class Call>
std::size_t transfer(LocalStream::Impl* impl, std::error_code& ec, Call call) noexcept {
    if (!is_open(impl)) {
        ec = not_open();
        return 0;
    }
    const auto n = call(impl->fd());
    if (n < 0) {
        ec = impl->io_error(errno);
        return 0;
    }
    return static_cast<std::size_t>(n);
}

} // namespace posix

} // namespace localsock
