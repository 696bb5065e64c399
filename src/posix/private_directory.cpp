#include "private_directory.hpp"

#include "descriptor.hpp"
#include "socket_file.hpp"

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

namespace localsock::posix {
namespace {

// ".ls" and six random letters or digits. Unpredictable, so nobody can
// occupy our names in advance; a taken name is simply skipped.
void random_name(char (&name)[16]) noexcept {
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char bytes[6] = {};
#if defined(__linux__)
    if (::getrandom(bytes, sizeof bytes, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof bytes))
#endif
    {
        const auto now = static_cast<unsigned long long>(std::chrono::steady_clock::now().time_since_epoch().count());
        for (std::size_t i = 0; i < sizeof bytes; ++i)
            bytes[i] = static_cast<unsigned char>((now >> (8 * i)) ^ (static_cast<unsigned>(::getpid()) >> i));
    }
    std::memcpy(name, ".ls", 3);
    for (std::size_t i = 0; i < sizeof bytes; ++i)
        name[3 + i] = alphabet[bytes[i] % (sizeof alphabet - 1)];
    name[9] = '\0';
}

} // namespace

PrivateDirectory::~PrivateDirectory() {
    if (!directory_.valid())
        return;
    ::unlinkat(directory_.get(), entry, 0);
    // By name: in a directory without the sticky bit someone may have renamed
    // ours and put an empty one of theirs here; removing that harms nobody.
    ::unlinkat(parent_, name_, AT_REMOVEDIR);
}

bool PrivateDirectory::create(int parent, std::error_code& ec) noexcept {
    parent_ = parent;
    for (int attempt = 0; attempt < 100; ++attempt) {
        random_name(name_);
        if (::mkdirat(parent, name_, 0700) != 0) {
            if (errno == EEXIST)
                continue;
            ec = last_error();
            return false;
        }
        OwnedHandle opened(retry_on_eintr(
            [&] { return ::openat(parent, name_, path_only | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC); }));
        struct stat st {};
        if (opened.valid() && ::fstat(opened.get(), &st) == 0 && st.st_uid == ::geteuid() && (st.st_mode & 077) == 0) {
            directory_ = std::move(opened);
            return true;
        }
        // Not the directory we made (swapped between mkdirat and openat):
        // leave it and the name alone (`opened` closes), try another name.
    }
    ec = std::make_error_code(std::errc::file_exists);
    return false;
}

bool PrivateDirectory::address(const std::string& parent_path, SocketAddress& out, std::error_code& ec) const noexcept {
    out = SocketAddress{};
    out.storage.sun_family = AF_UNIX;
    char* const path = out.storage.sun_path;
    const std::size_t capacity = sizeof out.storage.sun_path;
#if defined(__linux__)
    // Through the directory's descriptor, never the path's text: in a parent
    // without the sticky bit another user may rename our directory and put a
    // link to anywhere in its place between mkdirat and bind, and bind would
    // create its socket file there, as root.
    (void)parent_path;
    const int length = std::snprintf(path, capacity, "/proc/self/fd/%d/%s", directory_.get(), entry);
#else
    // No descriptor-relative bind here: the text (bind_listening_file checks
    // afterwards that the socket landed in our directory).
    const int length = std::snprintf(path, capacity, "%s/%s/%s", parent_path.c_str(), name_, entry);
#endif
    if (length <= 0 || static_cast<std::size_t>(length) >= capacity) {
        ec = std::make_error_code(std::errc::filename_too_long);
        return false;
    }
    out.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + static_cast<std::size_t>(length) + 1);
    return true;
}

} // namespace localsock::posix
