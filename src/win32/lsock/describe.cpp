// lsock on Windows: what a received handle is: its object type (the kernel's
// name for it: File, Section, Process, Event, …), and for files and pipes
// what the file APIs tell.
#include "../../lsock/system.hpp"

#include "../object_type.hpp"
#include "text.hpp"

#include <windows.h>

#include <cctype>
#include <cstdio>
#include <vector>

namespace lsock {

namespace {

std::string lower(std::string text) {
    for (char& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

std::string final_path(HANDLE file) {
    std::vector<wchar_t> path(MAX_PATH);
    DWORD length = ::GetFinalPathNameByHandleW(file, path.data(), static_cast<DWORD>(path.size()), FILE_NAME_NORMALIZED);
    if (length >= path.size()) {
        path.resize(length + 1);
        length = ::GetFinalPathNameByHandleW(file, path.data(), static_cast<DWORD>(path.size()), FILE_NAME_NORMALIZED);
    }
    if (length == 0 || length >= path.size())
        return {};
    std::wstring_view text(path.data(), length);
    if (text.starts_with(L"\\\\?\\"))
        text.remove_prefix(4);
    return narrow(text);
}

void describe_pipe(HANDLE pipe, HandleDescription& description) {
    description.kind = "pipe";
    DWORD flags = 0;
    if (::GetNamedPipeInfo(pipe, &flags, nullptr, nullptr, nullptr)) {
        description.socket_type = (flags & PIPE_TYPE_MESSAGE) ? "message" : "byte";
        description.access = (flags & PIPE_SERVER_END) ? "server end" : "client end";
    }
    // A named pipe's name ("\\pipe-name"); anonymous pipes have one too
    // under Windows, generated.
    alignas(8) unsigned char buffer[sizeof(FILE_NAME_INFO) + 520 * sizeof(wchar_t)];
    if (::GetFileInformationByHandleEx(pipe, FileNameInfo, buffer, sizeof buffer)) {
        const auto* info = reinterpret_cast<const FILE_NAME_INFO*>(buffer);
        description.path = narrow(std::wstring_view(info->FileName, info->FileNameLength / sizeof(wchar_t)));
    }
}

} // namespace

HandleDescription describe_handle(localsock::BorrowedHandle handle) {
    const HANDLE h = handle.get();
    HandleDescription description;
    char native[32];
    std::snprintf(native, sizeof native, "handle 0x%llx",
                  static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(h)));
    description.native = native;
    const std::string type = narrow(localsock::win32::object_type(h));
    if (type == "File") {
        switch (::GetFileType(h)) {
        case FILE_TYPE_DISK: {
            description.kind = "file";
            description.path = final_path(h);
            LARGE_INTEGER size{};
            if (::GetFileSizeEx(h, &size))
                description.size = static_cast<std::uint64_t>(size.QuadPart);
            BY_HANDLE_FILE_INFORMATION info{};
            if (::GetFileInformationByHandle(h, &info) && (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY))
                description.kind = "directory";
            break;
        }
        case FILE_TYPE_PIPE: describe_pipe(h, description); break;
        case FILE_TYPE_CHAR: description.kind = "character device"; break;
        default: description.kind = "file"; break;
        }
    } else if (type == "Process") {
        description.kind = "process";
        const DWORD pid = ::GetProcessId(h);
        if (pid != 0)
            description.pid = pid;
    } else if (type == "Section") {
        description.kind = "section";
        // Its size as mapped (whole pages), where this handle may map it.
        if (const void* view = ::MapViewOfFile(h, FILE_MAP_READ, 0, 0, 0)) {
            MEMORY_BASIC_INFORMATION memory{};
            if (::VirtualQuery(view, &memory, sizeof memory) != 0)
                description.size = memory.RegionSize;
            ::UnmapViewOfFile(view);
            description.access = "readable";
        }
    } else {
        description.kind = type.empty() ? "unknown" : lower(type);
    }
    return description;
}

} // namespace lsock
