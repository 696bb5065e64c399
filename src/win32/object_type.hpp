// Private, header-only: the kernel's name for what a handle refers to
// ("File", "Section", "Process", "Event", ...). Used by the shared memory
// backend and by lsock (src/win32/lsock).
#pragma once

#include <windows.h>
#include <winternl.h>

#include <string>

namespace localsock::win32 {

// Empty if the kernel does not say (link with ntdll).
inline std::wstring object_type(HANDLE handle) {
    alignas(8) unsigned char buffer[1024];
    ULONG length = 0;
    if (::NtQueryObject(handle, ObjectTypeInformation, buffer, sizeof buffer, &length) != 0)
        return {};
    const auto* info = reinterpret_cast<const PUBLIC_OBJECT_TYPE_INFORMATION*>(buffer);
    return std::wstring(info->TypeName.Buffer, info->TypeName.Length / sizeof(wchar_t));
}

} // namespace localsock::win32
