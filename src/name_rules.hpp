// Private: what each backend adds to name validation.
#pragma once

#include <string_view>
#include <system_error>

namespace localsock::detail {

// The bare name inside the platform's own spelling of a namespaced name
// (Windows: "\\.\pipe\name" -> "name"); `text` itself if it is not spelled so.
std::string_view strip_namespace_prefix(std::string_view text) noexcept;

// A reason this platform refuses a bare namespaced name (beyond emptiness,
// NUL and length, which name.cpp checks), or no error.
std::error_code check_namespaced_name(std::string_view bare) noexcept;

} // namespace localsock::detail
