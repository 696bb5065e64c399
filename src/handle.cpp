// OwnedHandle: the portable layer (the backends close and duplicate).
#include "operation_error.hpp"

#include <localsock/handle.hpp>

namespace localsock {

OwnedHandle OwnedHandle::duplicate() const {
    std::error_code ec;
    OwnedHandle copy = duplicate(ec);
    detail::throw_if_error(ec, "duplicate handle", {});
    return copy;
}

} // namespace localsock
