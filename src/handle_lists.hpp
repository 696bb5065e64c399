// Private: lending a list of owned handles as the borrowed list the backends take.
#pragma once

#include <localsock/error.hpp>
#include <localsock/handle.hpp>
#include <localsock/stream.hpp>

#include <memory>
#include <span>
#include <system_error>
#include <type_traits>

namespace localsock::detail {

// Calls send(lent) with `owned` viewed as BorrowedHandles, copied into a
// stack array (one message carries at most max_handles_per_message).
static_assert(std::is_trivially_copyable_v<BorrowedHandle> && std::is_trivially_destructible_v<BorrowedHandle>);
template <class Send>
void with_borrowed(std::span<const OwnedHandle> owned, std::error_code& ec, Send send) noexcept {
    if (owned.size() > max_handles_per_message) {
        ec = errc::too_many_handles;
        return;
    }
    // Room for the largest list, left uninitialised: only the used part is
    // written (BorrowedHandle is trivially copyable and destructible).
    union Storage {
        Storage() noexcept {}
        BorrowedHandle handles[max_handles_per_message];
    } lent;
    for (std::size_t i = 0; i < owned.size(); ++i)
        std::construct_at(&lent.handles[i], owned[i].get());
    send(std::span<const BorrowedHandle>(lent.handles, owned.size()));
}

} // namespace localsock::detail
