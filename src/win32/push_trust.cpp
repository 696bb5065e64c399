// Whether a peer may push handles into this process: it must hold
// PROCESS_DUP_HANDLE on it, which Windows treats as full control of the
// process (the peer could close or replace any of our handles itself), so
// believing its values then gives it nothing it did not have. Checked
// against its token, never assumed; anything that cannot be evaluated is a
// refusal (docs/wire-format.md, "Trust").
#include "duplication.hpp"

#include <aclapi.h>

#include <cstdlib>

namespace localsock::win32 {
namespace {

// The pipe client's token, as the server sees it: impersonate (the client
// connected at identification level, enough to check access, not to act),
// open the thread's token, revert.
OwnedHandle client_token(HANDLE pipe) noexcept {
    if (!::ImpersonateNamedPipeClient(pipe))
        return {};
    HANDLE token = nullptr;
    const BOOL opened = ::OpenThreadToken(::GetCurrentThread(), TOKEN_QUERY, TRUE, &token);
    // Carrying on as the client would run this process with its rights.
    if (!::RevertToSelf())
        std::abort();
    return opened ? own(token) : OwnedHandle();
}

// The pipe server's token, as a client sees it: its process's primary token,
// as an identification token that AccessCheck takes. Denied for a server
// running as another account whose token we may not read: not verified.
OwnedHandle server_token(HANDLE pipe) noexcept {
    ULONG pid = 0;
    std::error_code ec;
    if (!peer_process_id(pipe, false, pid, ec))
        return {};
    const OwnedHandle process = own(::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
    HANDLE primary = nullptr;
    if (!process || !::OpenProcessToken(process.get(), TOKEN_QUERY | TOKEN_DUPLICATE, &primary))
        return {};
    const OwnedHandle owned_primary = own(primary);
    HANDLE identification = nullptr;
    if (!::DuplicateToken(primary, SecurityIdentification, &identification))
        return {};
    return own(identification);
}

// AccessCheck of `token` for PROCESS_DUP_HANDLE against this process's
// security descriptor, mandatory label included (a lower integrity level
// cannot open us for that).
bool may_duplicate_into_us(HANDLE token) noexcept {
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    const SECURITY_INFORMATION parts =
        OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION | LABEL_SECURITY_INFORMATION;
    if (::GetSecurityInfo(::GetCurrentProcess(), SE_KERNEL_OBJECT, parts, nullptr, nullptr, nullptr, nullptr,
                          &descriptor) != ERROR_SUCCESS)
        return false;
    GENERIC_MAPPING mapping = {STANDARD_RIGHTS_READ | PROCESS_QUERY_INFORMATION | PROCESS_VM_READ,
                               STANDARD_RIGHTS_WRITE | PROCESS_CREATE_PROCESS | PROCESS_CREATE_THREAD |
                                   PROCESS_VM_OPERATION | PROCESS_VM_WRITE | PROCESS_DUP_HANDLE |
                                   PROCESS_TERMINATE | PROCESS_SET_QUOTA | PROCESS_SET_INFORMATION |
                                   PROCESS_SUSPEND_RESUME,
                               STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE, PROCESS_ALL_ACCESS};
    PRIVILEGE_SET privileges{};
    DWORD privileges_size = sizeof privileges;
    DWORD granted = 0;
    BOOL allowed = FALSE;
    const BOOL checked = ::AccessCheck(descriptor, token, PROCESS_DUP_HANDLE, &mapping, &privileges,
                                       &privileges_size, &granted, &allowed);
    ::LocalFree(descriptor);
    return checked && allowed && (granted & PROCESS_DUP_HANDLE) != 0;
}

} // namespace

bool peer_may_push(PipeCore& core) noexcept {
    if (core.pushed == PushedHandles::refuse)
        return false;
    if (core.push_trust == PushTrust::unknown) {
        const OwnedHandle token = core.is_server ? client_token(core.pipe.get()) : server_token(core.pipe.get());
        core.push_trust = token && may_duplicate_into_us(token.get()) ? PushTrust::verified : PushTrust::refused;
    }
    return core.push_trust == PushTrust::verified;
}

} // namespace localsock::win32
