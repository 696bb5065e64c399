// ancillary::Builder and ancillary::Received on POSIX: control messages laid
// out with the platform's CMSG_* arithmetic in buffers aligned for cmsghdr.
#include "control.hpp"
#include "descriptor.hpp"

#include <localsock/ancillary.hpp>
#include <localsock/error.hpp>

#include <algorithm>
#include <cstring>
#include <limits>

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>
#if defined(__FreeBSD__)
#  include <sys/ucred.h>
#endif

namespace localsock::ancillary {

static_assert(alignof(std::max_align_t) >= alignof(cmsghdr));

Credentials own_credentials() noexcept {
    // The real ids: what Linux attaches itself when the sender adds none.
    return {static_cast<std::int64_t>(::getpid()), static_cast<std::uint32_t>(::getuid()),
            static_cast<std::uint32_t>(::getgid())};
}

// --- Builder --------------------------------------------------------------------

bool Builder::add(int level, int type, std::span<const std::byte> payload, std::error_code& ec) noexcept {
    ec.clear();
    const std::size_t space = CMSG_SPACE(payload.size());
    if (payload.size() > capacity || space > capacity - size_) {
        ec = std::make_error_code(std::errc::no_buffer_space);
        return false;
    }
    // size_ is a sum of CMSG_SPACE values, so the header lands aligned.
    std::byte* at = storage_ + size_;
    std::memset(at, 0, space); // padding included: the kernel may read it
    cmsghdr header{};
    header.cmsg_level = level;
    header.cmsg_type = type;
    header.cmsg_len = CMSG_LEN(payload.size());
    std::memcpy(at, &header, sizeof header);
    if (!payload.empty())
        std::memcpy(at + CMSG_LEN(0), payload.data(), payload.size());
    size_ += space;
    return true;
}

bool Builder::add_handles(std::span<const BorrowedHandle> handles, std::error_code& ec) noexcept {
    ec.clear();
    if (handles.size() > max_handles_per_message) {
        ec = errc::too_many_handles;
        return false;
    }
    int fds[max_handles_per_message];
    for (std::size_t i = 0; i < handles.size(); ++i)
        fds[i] = handles[i].get();
    return add(SOL_SOCKET, SCM_RIGHTS, std::as_bytes(std::span<const int>(fds, handles.size())), ec);
}

bool Builder::add_credentials(const Credentials& credentials, std::error_code& ec) noexcept {
#if defined(SCM_CREDENTIALS)
    ucred cred{};
    cred.pid = static_cast<pid_t>(credentials.pid);
    cred.uid = static_cast<uid_t>(credentials.uid);
    cred.gid = static_cast<gid_t>(credentials.gid);
    return add(SOL_SOCKET, SCM_CREDENTIALS, std::as_bytes(std::span<const ucred>(&cred, 1)), ec);
#elif defined(__FreeBSD__) && defined(SCM_CREDS)
    // The kernel fills struct cmsgcred in; the sender can only ask for its own.
    if (credentials != own_credentials()) {
        ec = std::make_error_code(std::errc::operation_not_permitted);
        return false;
    }
    const cmsgcred blank{};
    return add(SOL_SOCKET, SCM_CREDS, std::as_bytes(std::span<const cmsgcred>(&blank, 1)), ec);
#else
    (void)credentials;
    ec = std::make_error_code(std::errc::not_supported);
    return false;
#endif
}

// --- Received -------------------------------------------------------------------

void Received::clear() noexcept {
    if (size_ != 0) {
        posix::ArrivedDescriptors owned(storage_, size_); // closes what nobody took
        if (handles_taken_)
            owned.keep_handles();
        if (pidfd_taken_)
            owned.keep_pidfds();
    }
    size_ = 0;
    truncated_ = false;
    handles_taken_ = false;
    pidfd_taken_ = false;
}

std::size_t Received::handle_count() const noexcept {
    if (handles_taken_ || size_ == 0)
        return 0;
    posix::ArrivedDescriptors owned(storage_, size_);
    const std::size_t count = owned.size();
    owned.keep();
    return count;
}

bool Received::take_handles(std::vector<OwnedHandle>& out, std::error_code& ec) noexcept {
    ec.clear();
    if (handles_taken_ || size_ == 0)
        return true;
    posix::ArrivedDescriptors owned(storage_, size_);
    owned.keep_pidfds(); // not these
    if (!owned.hand_over(out, ec)) {
        owned.keep(); // still ours: the caller may retry
        return false;
    }
    handles_taken_ = true;
    return true;
}

BorrowedHandle Received::pidfd() const noexcept {
    if (pidfd_taken_ || size_ == 0)
        return {};
    posix::ArrivedDescriptors owned(storage_, size_);
    const int fd = owned.first_pidfd();
    owned.keep();
    return fd == -1 ? BorrowedHandle() : BorrowedHandle(fd);
}

OwnedHandle Received::take_pidfd() noexcept {
    if (pidfd_taken_ || size_ == 0)
        return {};
    posix::ArrivedDescriptors owned(storage_, size_);
    owned.keep_handles();
    const int fd = owned.take_first_pidfd(); // closes any further ones
    pidfd_taken_ = true;
    return fd == -1 ? OwnedHandle() : OwnedHandle(fd);
}

void Received::iterator::load() noexcept {
    const std::size_t size = owner_->size_;
    posix::ControlMessageView m;
    if (!posix::read_control_message(reinterpret_cast<const unsigned char*>(owner_->storage_), size, offset_, m)) {
        offset_ = size;
        return;
    }
    current_.level = m.level;
    current_.type = m.type;
    current_.payload = std::span<const std::byte>(reinterpret_cast<const std::byte*>(m.payload), m.payload_size);
    next_ = m.next;
}

std::optional<std::span<const std::byte>> Received::find(int level, int type) const noexcept {
    for (const Message& m : *this)
        if (m.level == level && m.type == type)
            return m.payload;
    return std::nullopt;
}

std::optional<Credentials> Received::credentials() const noexcept {
#if defined(SCM_CREDENTIALS)
    if (const auto cred = get<ucred>(SOL_SOCKET, SCM_CREDENTIALS))
        return Credentials{cred->pid, cred->uid, cred->gid};
#elif defined(__FreeBSD__) && defined(SCM_CREDS)
    if (const auto cred = get<cmsgcred>(SOL_SOCKET, SCM_CREDS))
        return Credentials{cred->cmcred_pid, cred->cmcred_uid, cred->cmcred_gid};
#endif
    return std::nullopt;
}

namespace {

// seconds + fraction as a Timestamp (nanoseconds since the epoch, 64 bits:
// years 1677 to 2262), or nothing if the values are out of that range or not
// a time at all. The kernel never sends such; a crafted buffer can.
template <class Fraction>
std::optional<Timestamp> checked_timestamp(std::int64_t seconds, std::int64_t fraction) noexcept {
    using std::chrono::nanoseconds;
    constexpr std::int64_t per_second = Fraction::period::den;
    if (fraction < 0 || fraction >= per_second)
        return std::nullopt;
    constexpr std::int64_t max_seconds = std::numeric_limits<std::int64_t>::max() / 1'000'000'000 - 1;
    if (seconds > max_seconds || seconds < -max_seconds)
        return std::nullopt;
    return Timestamp(std::chrono::seconds(seconds) + std::chrono::duration_cast<nanoseconds>(Fraction(fraction)));
}

} // namespace

std::optional<Timestamp> Received::timestamp() const noexcept {
#if defined(SCM_TIMESTAMPNS)
    if (const auto ts = get<timespec>(SOL_SOCKET, SCM_TIMESTAMPNS))
        return checked_timestamp<std::chrono::nanoseconds>(ts->tv_sec, ts->tv_nsec);
#endif
#if defined(SCM_TIMESTAMP)
    if (const auto tv = get<timeval>(SOL_SOCKET, SCM_TIMESTAMP))
        return checked_timestamp<std::chrono::microseconds>(tv->tv_sec, tv->tv_usec);
#endif
    return std::nullopt;
}

} // namespace localsock::ancillary
