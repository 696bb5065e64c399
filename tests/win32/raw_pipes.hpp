// Test helpers (Windows): what the pipe tests build by hand — peers that
// know nothing of localsock, frames laid out as docs/wire-format.md says, a
// pipe's DACL — and the warning for checks Wine cannot make.
#pragma once

#include <doctest/doctest.h>

#include <localsock/localsock.hpp>

#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace testing::win32 {

inline constexpr std::uint32_t frame_magic = 0x314B534C; // "LSK1"
inline constexpr std::uint8_t frame_version = 2;
// Byte 12 of a header: in whose table a frame's handle values are.
inline constexpr std::uint32_t table_none = 0, table_sender = 1, table_receiver = 2;

inline std::wstring wide_pipe_path(const localsock::LocalSocketName& name) {
    const std::string path = "\\\\.\\pipe\\" + name.value();
    return std::wstring(path.begin(), path.end()); // test names are ASCII
}

// A client end opened with CreateFile alone (blocking I/O); `message` reads
// whole messages, as a message-mode peer does.
inline localsock::OwnedHandle raw_client(const localsock::LocalSocketName& name, bool message = false) {
    const HANDLE pipe = ::CreateFileW(wide_pipe_path(name).c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr,
                                      OPEN_EXISTING, 0, nullptr);
    REQUIRE(pipe != INVALID_HANDLE_VALUE);
    localsock::OwnedHandle owner(pipe);
    DWORD mode = PIPE_READMODE_MESSAGE;
    if (message)
        REQUIRE(::SetNamedPipeHandleState(pipe, &mode, nullptr, nullptr));
    return owner;
}

// A frame header (the host is little-endian, as the format is); `table`
// fills bytes 12..15 (the table byte, then the reserved ones).
inline std::string frame_header(std::uint32_t magic, std::uint8_t version, std::uint8_t kind, std::uint16_t handles,
                                std::uint32_t payload, std::uint32_t table = table_none) {
    std::string bytes(16, '\0');
    std::memcpy(bytes.data(), &magic, 4);
    bytes[4] = static_cast<char>(version);
    bytes[5] = static_cast<char>(kind);
    std::memcpy(bytes.data() + 6, &handles, 2);
    std::memcpy(bytes.data() + 8, &payload, 4);
    std::memcpy(bytes.data() + 12, &table, 4);
    return bytes;
}

// One handle value of a frame's list.
inline std::string frame_value(std::uint64_t value) { return std::string(reinterpret_cast<const char*>(&value), 8); }

// The DACL of a kernel object in SDDL, e.g. "D:P(A;;GA;;;SY)...".
inline std::string dacl_of(HANDLE object) {
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    REQUIRE(::GetSecurityInfo(object, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr, nullptr,
                              nullptr, &descriptor) == ERROR_SUCCESS);
    char* text = nullptr;
    const BOOL converted = ::ConvertSecurityDescriptorToStringSecurityDescriptorA(
        descriptor, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &text, nullptr);
    ::LocalFree(descriptor);
    REQUIRE(converted);
    std::string dacl(text);
    ::LocalFree(text);
    return dacl;
}

// A check Wine cannot make: said in the test output (./dev shows these),
// never passed silently.
inline void warn_not_enforced(const std::string& what) {
    const std::string text = "WARNING: Wine does not enforce " + what + "; on Windows this is a hard check";
    MESSAGE(text);
}

} // namespace testing::win32
