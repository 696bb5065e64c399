// The socket timeouts behind retry_interrupted (deadline.hpp).
#include "deadline.hpp"

namespace localsock::posix {

std::int64_t socket_timeout(int fd, Wait wait) noexcept {
    timeval tv{};
    socklen_t length = sizeof tv;
    if (::getsockopt(fd, SOL_SOCKET, timeout_option(wait), &tv, &length) != 0)
        return 0; // cannot tell: wait as before rather than fail a working call
    return static_cast<std::int64_t>(tv.tv_sec) * 1'000'000'000 + static_cast<std::int64_t>(tv.tv_usec) * 1000;
}

void set_socket_timeout(int fd, Wait wait, std::int64_t nanoseconds) noexcept {
    const std::int64_t micros = nanoseconds / 1000 + (nanoseconds % 1000 != 0 ? 1 : 0);
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(micros / 1'000'000);
    tv.tv_usec = static_cast<suseconds_t>(micros % 1'000'000);
    if (tv.tv_sec == 0 && tv.tv_usec == 0)
        tv.tv_usec = 1;
    // A failure leaves the larger timeout in force: the call then ends later
    // than the deadline, never earlier, and never wrongly.
    (void)::setsockopt(fd, SOL_SOCKET, timeout_option(wait), &tv, sizeof tv);
}

} // namespace localsock::posix
