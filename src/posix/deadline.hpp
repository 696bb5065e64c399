// Private: blocking calls that a signal interrupts, under the socket's own
// timeout (SO_RCVTIMEO / SO_SNDTIMEO).
//
// The kernel restarts such a call with the whole timeout again, so a signal
// arriving more often than the timeout would keep it waiting for ever. A
// timeout is a deadline: after an EINTR the call is repeated with the socket
// timeout shrunk to what is left of it (and put back afterwards), and once
// nothing is left it fails as an expired timeout does (EAGAIN).
//
// All of this is on the EINTR path only. The one cost on the normal path is
// a clock read (vDSO, not a system call) before a blocking call on a socket
// whose timeout was set through localsock, so that the deadline counts from
// the start of the call. A timeout set behind localsock's back (setsockopt on
// native_handle()) is still honoured, counted from the first interruption.
#pragma once

#include <cerrno>
#include <cstdint>
#include <ctime>

#include <sys/socket.h>
#include <sys/time.h>

namespace localsock::posix {

// Which of the socket's timeouts bounds a call: reads and accept wait under
// SO_RCVTIMEO, writes and connect under SO_SNDTIMEO.
enum class Wait { receive, send };

inline int timeout_option(Wait wait) noexcept { return wait == Wait::receive ? SO_RCVTIMEO : SO_SNDTIMEO; }

// Nanoseconds on the monotonic clock, never 0 (0 means "not started").
inline std::int64_t monotonic_now() noexcept {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec + 1;
}

// The socket's current timeout for `wait` in nanoseconds (0: none).
std::int64_t socket_timeout(int fd, Wait wait) noexcept;
// Sets it (rounded up to a microsecond, never 0, which would mean "forever").
void set_socket_timeout(int fd, Wait wait, std::int64_t nanoseconds) noexcept;

// Repeats `call` (which just failed with EINTR) until it does not fail with
// EINTR, within what is left of the socket's timeout counted from `started`
// (monotonic_now() before the first attempt, or 0 if it was not taken).
// Expiry: -1 with errno EAGAIN. errno is that of the last attempt.
template <class Call>
[[gnu::cold, gnu::noinline]] auto retry_interrupted(int fd, Wait wait, std::int64_t started, Call call) noexcept
    -> decltype(call()) {
    const std::int64_t timeout = socket_timeout(fd, wait);
    decltype(call()) result;
    if (timeout == 0) { // no timeout: the call may wait as long as it takes
        do {
            result = call();
        } while (result == -1 && errno == EINTR);
        return result;
    }
    if (started == 0)
        started = monotonic_now();
    const std::int64_t deadline = started + timeout;
    for (;;) {
        const std::int64_t left = deadline - monotonic_now();
        if (left <= 0) {
            result = -1;
            errno = EAGAIN;
            break;
        }
        set_socket_timeout(fd, wait, left);
        result = call();
        if (!(result == -1 && errno == EINTR))
            break;
    }
    const int saved = errno;
    set_socket_timeout(fd, wait, timeout); // the socket's own timeout again
    errno = saved;
    return result;
}

// One blocking call on `fd`, waiting at most the socket's timeout however
// many signals arrive. `timed`: a timeout is known to be set, so the clock
// is read first.
template <class Call>
[[gnu::always_inline]] inline auto call_within_timeout(int fd, Wait wait, bool timed, Call call) noexcept {
    const std::int64_t started = timed ? monotonic_now() : 0;
    auto result = call();
    if (result == -1 && errno == EINTR) [[unlikely]]
        result = retry_interrupted(fd, wait, started, call);
    return result;
}

} // namespace localsock::posix
