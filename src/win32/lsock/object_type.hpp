// lsock on Windows: the kernel's name for what a handle refers to.
#pragma once

#include "text.hpp"

#include <windows.h>
#include <winternl.h>

#include <string>

namespace lsock {

// "File", "Section", "Process", "Event", … ("" if the kernel does not say).
inline std::string object_type(HANDLE handle) {
    alignas(8) unsigned char buffer[1024];
    ULONG length = 0;
    if (::NtQueryObject(handle, ObjectTypeInformation, buffer, sizeof buffer, &length) != 0)
        return {};
    const auto* info = reinterpret_cast<const PUBLIC_OBJECT_TYPE_INFORMATION*>(buffer);
    return narrow(std::wstring_view(info->TypeName.Buffer, info->TypeName.Length / sizeof(wchar_t)));
}

} // namespace lsock
