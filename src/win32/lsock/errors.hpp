// lsock on Windows: GetLastError() as std::error_code.
#pragma once

#include <windows.h>

#include <system_error>

namespace lsock {

inline std::error_code last_error() noexcept { return {static_cast<int>(::GetLastError()), std::system_category()}; }

} // namespace lsock
