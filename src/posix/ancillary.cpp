// ancillary::Builder and ancillary::Received on POSIX: control messages laid
// out with the platform's CMSG_* arithmetic in buffers aligned for cmsghdr.
#include "control.hpp"
#include "descriptor.hpp"

#include <localsock/ancillary.hpp>
#include <localsock/error.hpp>

#include <algorithm>
#include <cstring>

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>
#if defined(__FreeBSD__)
#  include <sys/ucred.h>
#endif

namespace localsock::ancillary {
namespace {

static_assert(alignof(std::max_align_t) >= alignof(cmsghdr));

// A msghdr that describes `size` control bytes at `storage`, for the CMSG_*
// walkers.
msghdr control_view(const std::byte* storage, std::size_t size) noexcept {
    msghdr message{};
    message.msg_control = const_cast<std::byte*>(storage);
    message.msg_controllen = size;
    return message;
}

} // namespace

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
    if (!handles_taken_ && size_ != 0) {
        const msghdr message = control_view(storage_, size_);
        posix::ArrivedDescriptors owned(message); // closes them
    }
    size_ = 0;
    truncated_ = false;
    handles_taken_ = false;
}

std::size_t Received::handle_count() const noexcept {
    if (handles_taken_ || size_ == 0)
        return 0;
    const msghdr message = control_view(storage_, size_);
    posix::ArrivedDescriptors owned(message);
    const std::size_t count = owned.size();
    owned.keep();
    return count;
}

bool Received::take_handles(std::vector<OwnedHandle>& out, std::error_code& ec) noexcept {
    ec.clear();
    if (handles_taken_ || size_ == 0)
        return true;
    const msghdr message = control_view(storage_, size_);
    posix::ArrivedDescriptors owned(message);
    if (!owned.hand_over(out, ec)) {
        owned.keep(); // still ours: the caller may retry
        return false;
    }
    handles_taken_ = true;
    return true;
}

void Received::iterator::load() noexcept {
    const std::size_t size = owner_->size_;
    // A header must fit whole before it is read.
    if (offset_ + CMSG_LEN(0) > size) {
        offset_ = size;
        return;
    }
    cmsghdr header;
    std::memcpy(&header, owner_->storage_ + offset_, sizeof header);
    if (header.cmsg_len < CMSG_LEN(0)) {
        offset_ = size;
        return;
    }
    // Bounded by the bytes received (some kernels report the untruncated length).
    const std::size_t payload = std::min<std::size_t>(header.cmsg_len - CMSG_LEN(0), size - offset_ - CMSG_LEN(0));
    current_.level = header.cmsg_level;
    current_.type = header.cmsg_type;
    current_.payload = std::span<const std::byte>(owner_->storage_ + offset_ + CMSG_LEN(0), payload);
    next_ = std::min<std::size_t>(offset_ + CMSG_SPACE(payload), size);
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

std::optional<Timestamp> Received::timestamp() const noexcept {
    using std::chrono::nanoseconds;
    using std::chrono::seconds;
    using std::chrono::microseconds;
#if defined(SCM_TIMESTAMPNS)
    if (const auto ts = get<timespec>(SOL_SOCKET, SCM_TIMESTAMPNS))
        return Timestamp(seconds(ts->tv_sec) + nanoseconds(ts->tv_nsec));
#endif
#if defined(SCM_TIMESTAMP)
    if (const auto tv = get<timeval>(SOL_SOCKET, SCM_TIMESTAMP))
        return Timestamp(seconds(tv->tv_sec) + microseconds(tv->tv_usec));
#endif
    return std::nullopt;
}

} // namespace localsock::ancillary
