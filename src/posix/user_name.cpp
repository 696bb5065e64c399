// LocalSocketName::per_user on POSIX: an abstract name with the uid (Linux),
// or a socket file in a directory only this user may enter.
#include "../user_name.hpp"

#include "descriptor.hpp"

#include <localsock/handle.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <new>
#include <optional>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace localsock::detail {
namespace {

// "0755", "1777": as ls and chmod write it.
std::string octal_mode(mode_t mode) { return fmt::format("{:04o}", static_cast<unsigned>(mode) & 07777); }

// A directory of this user's that nobody else may enter.
bool is_private(const struct stat& st) noexcept {
    return S_ISDIR(st.st_mode) && st.st_uid == ::geteuid() && (st.st_mode & 077) == 0;
}

// $XDG_RUNTIME_DIR, if set, absolute and private to this user (it is not
// after su or sudo, which keep the first user's).
std::optional<std::string> runtime_directory() {
    const char* path = std::getenv("XDG_RUNTIME_DIR");
    if (path == nullptr || path[0] != '/')
        return std::nullopt;
    const OwnedHandle directory(
        posix::retry_on_eintr([&] { return ::open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC); }));
    struct stat st {};
    if (!directory || ::fstat(directory.get(), &st) != 0 || !is_private(st))
        return std::nullopt;
    std::string text(path);
    while (text.size() > 1 && text.back() == '/')
        text.pop_back();
    return text;
}

// "<tmp>/localsock-<uid>", created if missing; checked through descriptors,
// never by path twice.
std::string private_temporary_directory(std::error_code& ec, std::string& problem) {
    const char* tmpdir = std::getenv("TMPDIR");
    std::string parent_path = tmpdir != nullptr && tmpdir[0] == '/' ? tmpdir : "/tmp";
    while (parent_path.size() > 1 && parent_path.back() == '/')
        parent_path.pop_back();
    const OwnedHandle parent(
        posix::retry_on_eintr([&] { return ::open(parent_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); }));
    struct stat st {};
    if (!parent || ::fstat(parent.get(), &st) != 0) {
        ec = posix::last_error();
        problem = parent_path;
        return {};
    }
    // Whoever may rename entries in the parent could swap our directory for
    // theirs between this call and a bind: only root or this user, or others
    // held back by the sticky bit.
    const bool owner_trusted = st.st_uid == 0 || st.st_uid == ::geteuid();
    if (!owner_trusted || ((st.st_mode & 022) != 0 && (st.st_mode & S_ISVTX) == 0)) {
        ec = std::make_error_code(std::errc::permission_denied);
        problem = parent_path + " (owner uid " + std::to_string(st.st_uid) + ", mode " + octal_mode(st.st_mode) +
                  ") lets other users replace what is in it";
        return {};
    }
    const std::string entry = "localsock-" + std::to_string(::geteuid());
    const std::string path = (parent_path == "/" ? "" : parent_path) + "/" + entry;
    if (posix::retry_on_eintr([&] { return ::mkdirat(parent.get(), entry.c_str(), 0700); }) != 0 &&
        errno != EEXIST) {
        ec = posix::last_error();
        problem = path;
        return {};
    }
    const OwnedHandle directory(posix::retry_on_eintr(
        [&] { return ::openat(parent.get(), entry.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC); }));
    if (!directory || ::fstat(directory.get(), &st) != 0 || !is_private(st)) {
        ec = std::make_error_code(std::errc::permission_denied);
        problem = directory ? path + " (owner uid " + std::to_string(st.st_uid) + ", mode " + octal_mode(st.st_mode) +
                                  ") is not a directory private to this user"
                            : path + " is not a directory";
        return {};
    }
    return path;
}

} // namespace

LocalSocketName per_user_name(std::string_view application, LocalSocketName::Kind kind, std::error_code& ec,
                              std::string& problem) noexcept try {
    ec.clear();
    if (kind == LocalSocketName::Kind::namespaced)
        return LocalSocketName::namespaced(std::string(application) + "." + std::to_string(::geteuid()), ec);
    std::optional<std::string> directory = runtime_directory();
    if (!directory) {
        directory = private_temporary_directory(ec, problem);
        if (ec)
            return {};
    }
    return LocalSocketName::filesystem(*directory + "/" + std::string(application) + ".sock", ec);
} catch (const std::bad_alloc&) {
    ec = std::make_error_code(std::errc::not_enough_memory);
    return {};
}

} // namespace localsock::detail
