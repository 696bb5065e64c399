// LocalSocketName::per_user: the checks of the application's name and the
// choice of kind; the backends make the name (user_name.hpp).
#include "user_name.hpp"

#include "operation_error.hpp"

#include <localsock/error.hpp>

namespace localsock {
namespace {

constexpr std::size_t max_application_length = 64;

// Letters, digits, '.', '_', '-'; not beginning with '.' (no "." or "..",
// no hidden file): the same name is then a valid pipe name, abstract name
// and file name everywhere, and needs no quoting anywhere.
std::error_code check_application(std::string_view application) noexcept {
    if (application.empty())
        return errc::empty_name;
    if (application.size() > max_application_length)
        return errc::name_too_long;
    if (application.front() == '.')
        return errc::name_invalid_character;
    for (const char c : application) {
        const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                             c == '.' || c == '_' || c == '-';
        if (!allowed)
            return errc::name_invalid_character;
    }
    return {};
}

// `preferred` if this platform has it, else the other kind.
LocalSocketName::Kind available(LocalSocketName::Kind preferred) noexcept {
    using Kind = LocalSocketName::Kind;
    if (LocalSocketName::supports(preferred))
        return preferred;
    return preferred == Kind::namespaced ? Kind::filesystem : Kind::namespaced;
}

LocalSocketName make(std::string_view application, LocalSocketName::Kind preferred, std::error_code& ec,
                     std::string& problem) noexcept {
    if ((ec = check_application(application)))
        return {};
    return detail::per_user_name(application, available(preferred), ec, problem);
}

} // namespace

LocalSocketName LocalSocketName::per_user(std::string_view application, Kind preferred, std::error_code& ec) noexcept {
    std::string problem;
    return make(application, preferred, ec, problem);
}

LocalSocketName LocalSocketName::per_user(std::string_view application, std::error_code& ec) noexcept {
    return per_user(application, Kind::namespaced, ec);
}

LocalSocketName LocalSocketName::per_user(std::string_view application, Kind preferred) {
    std::error_code ec;
    std::string problem;
    LocalSocketName name = make(application, preferred, ec, problem);
    if (ec) {
        std::string shown;
        for (const char c : application.substr(0, max_application_length))
            shown += (c >= 0x20 && c < 0x7f) ? c : '?';
        detail::throw_error(ec, "localsock: per-user name for '" + shown + "'" + (problem.empty() ? "" : ": " + problem));
    }
    return name;
}

} // namespace localsock
