// ancillary::Builder / Received: the portable layer — throwing forms.
#include "operation_error.hpp"

#include <localsock/ancillary.hpp>

namespace localsock::ancillary {

namespace {
template <class Call>
void or_throw_building(const char* operation, Call call) {
    std::error_code ec = detail::no_error();
    call(ec);
    detail::throw_if_error(ec, operation, {});
}
} // namespace

Builder& Builder::add_handles(std::span<const BorrowedHandle> handles) {
    or_throw_building("add handles", [&](std::error_code& ec) { add_handles(handles, ec); });
    return *this;
}
Builder& Builder::add_credentials(const Credentials& credentials) {
    or_throw_building("add credentials", [&](std::error_code& ec) { add_credentials(credentials, ec); });
    return *this;
}
Builder& Builder::add(int level, int type, std::span<const std::byte> payload) {
    or_throw_building("add control message", [&](std::error_code& ec) { add(level, type, payload, ec); });
    return *this;
}

std::vector<OwnedHandle> Received::take_handles() {
    std::vector<OwnedHandle> handles;
    std::error_code ec = detail::no_error();
    take_handles(handles, ec);
    detail::throw_if_error(ec, "take handles", {});
    return handles;
}

} // namespace localsock::ancillary
