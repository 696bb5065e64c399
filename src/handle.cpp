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

void OwnedHandle::set_inheritable(bool inheritable) {
    std::error_code ec;
    set_inheritable(inheritable, ec);
    detail::throw_if_error(ec, "set inheritable", {});
}

} // namespace localsock
