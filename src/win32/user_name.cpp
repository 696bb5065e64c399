// LocalSocketName::per_user on Windows: a pipe name with the user's SID.
#include "../user_name.hpp"

#include "security.hpp"

#include <new>

namespace localsock::detail {

LocalSocketName per_user_name(std::string_view application, LocalSocketName::Kind, std::error_code& ec,
                              std::string&) noexcept try {
    ec.clear();
    const std::string sid = win32::process_user_sid(::GetCurrentProcess(), ec);
    if (ec)
        return {};
    return LocalSocketName::namespaced(std::string(application) + "." + sid, ec);
} catch (const std::bad_alloc&) {
    ec = std::make_error_code(std::errc::not_enough_memory);
    return {};
}

} // namespace localsock::detail
