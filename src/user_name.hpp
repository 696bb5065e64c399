// Private: what each backend does for LocalSocketName::per_user.
#pragma once

#include <localsock/name.hpp>

#include <string>
#include <string_view>
#include <system_error>

namespace localsock::detail {

// The per-user name of `application` (already checked) of kind `kind`
// (supported here). On an error, `problem` says what was wrong, for the
// throwing form ("/tmp/localsock-1000 is not private to this user").
LocalSocketName per_user_name(std::string_view application, LocalSocketName::Kind kind, std::error_code& ec,
                              std::string& problem) noexcept;

} // namespace localsock::detail
