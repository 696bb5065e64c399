// Private: localsock's words for the std::errc conditions (error_text.cpp).
#pragma once

#include <system_error>

namespace localsock::detail {

// The text of a std::errc condition, the same on every OS; nullptr for a
// value that is no std::errc enumerator.
const char* condition_text(std::errc condition) noexcept;

} // namespace localsock::detail
