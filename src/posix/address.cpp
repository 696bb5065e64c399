#include "address.hpp"

#include "../name_rules.hpp"

#include <cstddef>
#include <cstring>
#include <string_view>

namespace localsock {
namespace {

constexpr std::size_t path_offset = offsetof(sockaddr_un, sun_path);
constexpr std::size_t path_capacity = sizeof(sockaddr_un{}.sun_path);

} // namespace

bool LocalSocketName::supports(Kind kind) noexcept {
#if defined(__linux__)
    (void)kind;
    return true; // abstract namespace and socket files
#else
    return kind == Kind::filesystem;
#endif
}

std::size_t LocalSocketName::max_length(Kind kind) noexcept {
    if (!supports(kind))
        return 0;
    // A path needs its terminating NUL; an abstract name needs its leading NUL.
    return path_capacity - 1;
}

std::string_view detail::strip_namespace_prefix(std::string_view text) noexcept { return text; }

std::error_code detail::check_namespaced_name(std::string_view) noexcept { return {}; }

namespace posix {

SocketAddress to_address(const LocalSocketName& name) noexcept {
    SocketAddress address;
    address.storage.sun_family = AF_UNIX;
    const std::string& value = name.value();
    if (name.is_namespaced()) {
        // Abstract: a leading NUL, then exactly the name's bytes; the length
        // tells where it ends (trailing NULs would be significant).
        std::memcpy(address.storage.sun_path + 1, value.data(), value.size());
        address.length = static_cast<socklen_t>(path_offset + 1 + value.size());
    } else {
        std::memcpy(address.storage.sun_path, value.data(), value.size());
        address.storage.sun_path[value.size()] = '\0';
        address.length = static_cast<socklen_t>(path_offset + value.size() + 1);
    }
    return address;
}

LocalSocketName from_address(const sockaddr_un& address, socklen_t length) {
    LocalSocketName name;
    assign_from_address(address, length, name);
    return name;
}

} // namespace posix

struct detail::NameAccess {
    static void assign(LocalSocketName& name, LocalSocketName::Kind kind, std::string_view value) {
        name.kind_ = kind;
        name.value_.assign(value.data(), value.size());
    }
};

void posix::assign_from_address(const sockaddr_un& address, socklen_t length, LocalSocketName& name) {
    using Kind = LocalSocketName::Kind;
    if (length <= path_offset) {
        detail::NameAccess::assign(name, Kind::namespaced, {});
        return;
    }
    const std::size_t bytes = length - path_offset;
    const char* path = address.sun_path;
    if (path[0] == '\0') {
        const std::string_view value(path + 1, bytes - 1);
        // A name localsock could not express (a NUL inside) reads as unnamed.
        const bool expressible = value.find('\0') == std::string_view::npos;
        detail::NameAccess::assign(name, Kind::namespaced, expressible ? value : std::string_view());
        return;
    }
    detail::NameAccess::assign(name, Kind::filesystem, std::string_view(path, strnlen(path, bytes)));
}

} // namespace localsock
