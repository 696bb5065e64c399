// Private: who may connect to a pipe, as a security descriptor.
#pragma once

#include "win32.hpp"

#include <string>

namespace localsock::win32 {

class SecurityAttributes {
public:
    SecurityAttributes() = default;
    SecurityAttributes(const SecurityAttributes&) = delete; // owns the descriptor
    SecurityAttributes& operator=(const SecurityAttributes&) = delete;
    ~SecurityAttributes();

    // From an SDDL string; empty means the default: the current user, SYSTEM
    // and the administrators, with full access; nobody else (protected DACL).
    bool open(const std::string& sddl, std::error_code& ec) noexcept;
    SECURITY_ATTRIBUTES* get() noexcept { return &attributes_; }

private:
    SECURITY_ATTRIBUTES attributes_{sizeof(SECURITY_ATTRIBUTES), nullptr, FALSE};
};

} // namespace localsock::win32
