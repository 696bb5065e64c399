// localsock: the address of a local socket.
#pragma once

#include <localsock/config.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace localsock {

namespace detail {
struct NameAccess;
}

// A local socket's name, in one of two kinds:
//  - namespaced: a name in a kernel namespace that no file backs — Linux's
//    abstract socket namespace, Windows' pipe namespace (\\.\pipe\<name>);
//  - filesystem: the path of a socket file (POSIX).
// A LocalSocketName is valid by construction: the factories reject empty
// names, names containing NUL, names that do not fit the platform's address
// and kinds the platform lacks, before any system call.
class LOCALSOCK_API LocalSocketName {
public:
    enum class Kind { namespaced, filesystem };

    // Whether this platform has the given kind of name.
    static bool supports(Kind kind) noexcept;
    // The longest accepted name of that kind, in bytes (0 if unsupported).
    static std::size_t max_length(Kind kind) noexcept;

    static LocalSocketName namespaced(std::string_view name);
    static LocalSocketName namespaced(std::string_view name, std::error_code& ec) noexcept;
    static LocalSocketName filesystem(const std::filesystem::path& path);
    static LocalSocketName filesystem(const std::filesystem::path& path, std::error_code& ec) noexcept;

    // The textual convention of ss, systemd (ListenStream=@name) and
    // /proc/net/unix: "@name" is namespaced, anything else is a path (a path
    // that begins with '@' is written "./@name"; parse() removes that "./").
    // On Windows the pipe's own spelling, "\\.\pipe\name", is accepted too.
    // socat spells an abstract name differently: it takes
    // "ABSTRACT-CONNECT:name" and prints one as "\0name"; convert it first.
    static LocalSocketName parse(std::string_view text);
    static LocalSocketName parse(std::string_view text, std::error_code& ec) noexcept;

    // A name for `application` that belongs to the user running this process
    // and works on this platform, so that a cross-platform program spells
    // its name once. `application` is 1 to 64 characters of A-Z a-z 0-9 . _ -
    // not beginning with '.' (checked before any system call:
    // errc::empty_name, errc::name_too_long, errc::name_invalid_character).
    // `preferred` where this platform has that kind, else the other:
    //  - namespaced, Linux: "@<application>.<uid>" (the effective uid). An
    //    abstract name has no access control at all: any local process may
    //    connect to it, or bind it first; the uid only keeps two users' servers
    //    apart. Check the peer's credentials (peer_credentials()) if it matters.
    //  - namespaced, Windows: "\.\pipe\<application>.<SID>" (the process
    //    user's SID). Another user may create the name first: bind() then fails
    //    (first-instance flag) rather than share it, and localsock's default
    //    DACL lets only this user, SYSTEM and administrators connect.
    //  - filesystem (macOS, the BSDs; Linux when asked): "<dir>/<application>.sock"
    //    where <dir> is $XDG_RUNTIME_DIR if it is set, absolute, and a directory
    //    of this user's that nobody else may enter; otherwise
    //    "<tmp>/localsock-<uid>", tmp being $TMPDIR if absolute, else /tmp,
    //    created 0700 if missing, and checked to be a directory (not a link) of
    //    this user's that nobody else may enter, in a parent only root or this
    //    user owns that others cannot rename it in (sticky, if writable by
    //    others); std::errc::permission_denied if it is not. The directory is
    //    the access control: other users can neither connect nor bind there.
    //    Creating that directory is the one side effect of this call.
    // Threads: callable from any thread, but it reads the environment
    // (XDG_RUNTIME_DIR, TMPDIR): not while another thread changes it.
    static LocalSocketName per_user(std::string_view application, Kind preferred = Kind::namespaced);
    static LocalSocketName per_user(std::string_view application, std::error_code& ec) noexcept;
    static LocalSocketName per_user(std::string_view application, Kind preferred, std::error_code& ec) noexcept;

    // An empty name: what the error-code factories return on failure, and the
    // local name of an unnamed socket.
    LocalSocketName() = default;

    bool empty() const noexcept { return value_.empty(); }
    Kind kind() const noexcept { return kind_; }
    bool is_namespaced() const noexcept { return !empty() && kind_ == Kind::namespaced; }
    bool is_filesystem() const noexcept { return !empty() && kind_ == Kind::filesystem; }

    // The name without decoration: the namespaced name or the path.
    const std::string& value() const noexcept { return value_; }
    // The parse()-able form: "@name" or the path ("./@odd.sock" for the path
    // "@odd.sock"); parse(to_string()) gives back an equal name.
    std::string to_string() const;

    friend bool operator==(const LocalSocketName&, const LocalSocketName&) = default;

private:
    friend struct detail::NameAccess; // the backends fill a name in place
    LocalSocketName(Kind kind, std::string value) : kind_(kind), value_(std::move(value)) {}

    Kind kind_ = Kind::namespaced;
    std::string value_;
};

} // namespace localsock
