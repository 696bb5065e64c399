// LocalSocketName: validation and the textual form. Platform limits come from
// the backend (LocalSocketName::supports / max_length).
#include "name_rules.hpp"
#include "operation_error.hpp"

#include <localsock/error.hpp>
#include <localsock/name.hpp>

namespace localsock {
namespace {

std::error_code validate(LocalSocketName::Kind kind, std::string_view value) noexcept {
    if (!LocalSocketName::supports(kind))
        return errc::name_kind_unsupported;
    if (value.empty())
        return errc::empty_name;
    if (value.find('\0') != std::string_view::npos)
        return errc::name_contains_nul;
    if (value.size() > LocalSocketName::max_length(kind))
        return errc::name_too_long;
    if (kind == LocalSocketName::Kind::namespaced)
        return detail::check_namespaced_name(value);
    return {};
}

// Whether a path must be written "./<path>" in the textual form: one that
// begins with '@' would read as a namespaced name, and one that begins with
// "./" followed by such a path would lose its own "./" to parse().
bool needs_escape(std::string_view path) noexcept {
    while (path.starts_with("./"))
        path.remove_prefix(2);
    return path.starts_with('@');
}

// The text of a failed name for the exception message; the name object itself
// cannot be built, so describe it by hand.
[[noreturn]] void throw_name_error(std::error_code ec, std::string_view text) {
    std::string shown(text);
    for (char& c : shown)
        if (c == '\0')
            c = '?';
    detail::throw_error(ec, "localsock: socket name '" + shown + "'");
}

} // namespace

LocalSocketName LocalSocketName::namespaced(std::string_view name, std::error_code& ec) noexcept {
    name = detail::strip_namespace_prefix(name);
    ec = validate(Kind::namespaced, name);
    if (ec)
        return {};
    try {
        return LocalSocketName(Kind::namespaced, std::string(name));
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

LocalSocketName LocalSocketName::filesystem(const std::filesystem::path& path, std::error_code& ec) noexcept {
    if (!supports(Kind::filesystem)) { // before converting a path this platform cannot use
        ec = errc::name_kind_unsupported;
        return {};
    }
    try {
        std::string text = path.string();
        ec = validate(Kind::filesystem, text);
        if (ec)
            return {};
        return LocalSocketName(Kind::filesystem, std::move(text));
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

LocalSocketName LocalSocketName::parse(std::string_view text, std::error_code& ec) noexcept {
    if (text.starts_with('@'))
        return namespaced(text.substr(1), ec);
    if (detail::strip_namespace_prefix(text).size() != text.size())
        return namespaced(text, ec); // the platform's own spelling, e.g. \\.\pipe\name
    if (text.starts_with("./") && needs_escape(text.substr(2)))
        text.remove_prefix(2); // to_string()'s escape of a path beginning with '@'
    try {
        return filesystem(std::filesystem::path(text), ec);
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

LocalSocketName LocalSocketName::namespaced(std::string_view name) {
    std::error_code ec;
    LocalSocketName result = namespaced(name, ec);
    if (ec)
        throw_name_error(ec, "@" + std::string(name));
    return result;
}

LocalSocketName LocalSocketName::filesystem(const std::filesystem::path& path) {
    std::error_code ec;
    LocalSocketName result = filesystem(path, ec);
    if (ec)
        throw_name_error(ec, supports(Kind::filesystem) ? path.string() : std::string("<path>"));
    return result;
}

LocalSocketName LocalSocketName::parse(std::string_view text) {
    std::error_code ec;
    LocalSocketName result = parse(text, ec);
    if (ec)
        throw_name_error(ec, text);
    return result;
}

std::string LocalSocketName::to_string() const {
    if (is_namespaced())
        return "@" + value_;
    if (needs_escape(value_))
        return "./" + value_;
    return value_;
}

} // namespace localsock
