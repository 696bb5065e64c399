// Private: lending a list of owned handles as the borrowed list the backends take.
#pragma once

#include <localsock/error.hpp>
#include <localsock/handle.hpp>
#include <localsock/stream.hpp>

#include <array>
#include <span>
#include <system_error>

namespace localsock::detail {

// Calls send(lent) with `owned` viewed as BorrowedHandles, copied into a
// stack array (one message carries at most max_handles_per_message).
template <class Send>
void with_borrowed(std::span<const OwnedHandle> owned, std::error_code& ec, Send send) noexcept {
    if (owned.size() > max_handles_per_message) {
        ec = errc::too_many_handles;
        return;
    }
    std::array<BorrowedHandle, max_handles_per_message> lent;
    for (std::size_t i = 0; i < owned.size(); ++i)
        lent[i] = owned[i].borrow();
    send(std::span<const BorrowedHandle>(lent.data(), owned.size()));
}

} // namespace localsock::detail
