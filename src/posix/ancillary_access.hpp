// Private: how the receive path fills an ancillary::Received and the send
// path reads an ancillary::Builder.
#pragma once

#include <localsock/ancillary.hpp>

namespace localsock::detail {

struct AncillaryAccess {
    static std::byte* storage(ancillary::Received& r) noexcept { return r.storage_; }
    // After a receive: `size` control bytes are valid; `descriptors_owned`
    // says whether the descriptors in them (SCM_RIGHTS, SCM_PIDFD) are open
    // and owned by `r` (false once they were closed on truncation).
    static void set_received(ancillary::Received& r, std::size_t size, bool truncated,
                             bool descriptors_owned) noexcept {
        r.size_ = size;
        r.truncated_ = truncated;
        r.handles_taken_ = !descriptors_owned;
        r.pidfd_taken_ = !descriptors_owned;
    }
};

} // namespace localsock::detail
