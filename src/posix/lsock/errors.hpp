// lsock on POSIX: errno as std::error_code.
#pragma once

#include <cerrno>
#include <system_error>

namespace lsock {

inline std::error_code last_error() noexcept { return {errno, std::system_category()}; }

} // namespace lsock
