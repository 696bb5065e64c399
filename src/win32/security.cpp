#include "security.hpp"

#include <sddl.h>

#include <memory>

namespace localsock::win32 {

SecurityAttributes::~SecurityAttributes() { ::LocalFree(attributes_.lpSecurityDescriptor); }

bool SecurityAttributes::open(const std::string& sddl, std::error_code& ec) noexcept {
    try {
        std::string text = sddl;
        if (text.empty()) {
            const std::string user = process_user_sid(::GetCurrentProcess(), ec);
            if (ec)
                return false;
            text = "D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;" + user + ")";
        }
        PSECURITY_DESCRIPTOR descriptor = nullptr;
        if (!::ConvertStringSecurityDescriptorToSecurityDescriptorA(text.c_str(), SDDL_REVISION_1, &descriptor,
                                                                    nullptr)) {
            ec = last_error();
            return false;
        }
        ::LocalFree(attributes_.lpSecurityDescriptor);
        attributes_.lpSecurityDescriptor = descriptor;
        attributes_.bInheritHandle = FALSE; // nothing localsock creates is inheritable
        return true;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return false;
    }
}

std::string process_user_sid(HANDLE process, std::error_code& ec) noexcept {
    HANDLE raw_token = nullptr;
    if (!::OpenProcessToken(process, TOKEN_QUERY, &raw_token)) {
        ec = last_error();
        return {};
    }
    const OwnedHandle token = own(raw_token);
    DWORD size = 0;
    ::GetTokenInformation(token.get(), TokenUser, nullptr, 0, &size);
    try {
        auto storage = std::make_unique<std::byte[]>(size);
        if (!::GetTokenInformation(token.get(), TokenUser, storage.get(), size, &size)) {
            ec = last_error();
            return {};
        }
        char* text = nullptr;
        if (!::ConvertSidToStringSidA(reinterpret_cast<TOKEN_USER*>(storage.get())->User.Sid, &text)) {
            ec = last_error();
            return {};
        }
        std::string sid(text);
        ::LocalFree(text);
        return sid;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

} // namespace localsock::win32
