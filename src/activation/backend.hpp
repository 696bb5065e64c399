// Private: what each platform does for <localsock/activation.hpp>. The
// error-code forms; `problem`, where given, says what is wrong for the
// throwing form's message.
#pragma once

#include <localsock/activation.hpp>

#include <string>
#include <string_view>
#include <system_error>

namespace localsock::activation {

ActivatedSockets take_listen_fds(std::error_code& ec, std::string& problem) noexcept;
ActivatedSockets take_launchd(std::string_view name, std::error_code& ec) noexcept;

} // namespace localsock::activation
