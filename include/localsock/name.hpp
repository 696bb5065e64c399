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
