// Private: turning an error code into the exception of a throwing form.
#pragma once

#include <localsock/name.hpp>

#include <string_view>
#include <system_error>

namespace localsock::detail {

// Throws std::system_error whose message names the operation and the socket:
// "localsock: connect '@bus': Connection refused".
[[noreturn]] void throw_operation_error(std::error_code ec, std::string_view operation,
                                        const LocalSocketName& name);

inline void throw_if_error(std::error_code ec, std::string_view operation, const LocalSocketName& name) {
    if (ec)
        throw_operation_error(ec, operation, name);
}

// A cleared error code without the out-of-line std::system_category() call
// that `std::error_code ec;` makes: for the throwing forms' per-call code.
// (A function-local static: safe even from a user's static initializers.)
inline const std::error_category& cached_system_category() noexcept {
    static const std::error_category& category = std::system_category();
    return category;
}
inline std::error_code no_error() noexcept { return {0, cached_system_category()}; }

// ec.clear() calls std::system_category() out of line; on the per-message
// paths an error code that is already clear is left as it is.
inline void clear(std::error_code& ec) noexcept {
    if (ec) [[unlikely]]
        ec.clear();
}

// The message text alone, for exceptions that carry more than a code.
std::string describe_operation(std::string_view operation, const LocalSocketName& name);

} // namespace localsock::detail
