#include "win32_io.hpp"

#include "harness.hpp"

#include <cstring>
#include <thread>
#include <vector>

namespace bench::win32 {

std::wstring pipe_path(const std::string& name) {
    const std::string bare = name.rfind('@', 0) == 0 ? name.substr(1) : name;
    return L"\\\\.\\pipe\\" + std::wstring(bare.begin(), bare.end());
}

HANDLE create_instance(const std::wstring& path, DWORD flags) {
    const HANDLE pipe = ::CreateNamedPipeW(path.c_str(), PIPE_ACCESS_DUPLEX | flags,
                                           PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT, PIPE_UNLIMITED_INSTANCES,
                                           65536, 65536, 0, nullptr);
    if (pipe == INVALID_HANDLE_VALUE)
        fail("CreateNamedPipe");
    return pipe;
}

HANDLE connect_to(const std::wstring& path, DWORD flags) {
    for (int attempt = 0; attempt < 5000; ++attempt) {
        const HANDLE pipe =
            ::CreateFileW(path.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, flags, nullptr);
        if (pipe != INVALID_HANDLE_VALUE)
            return pipe;
        if (::GetLastError() == ERROR_PIPE_BUSY)
            ::WaitNamedPipeW(path.c_str(), 1000);
        else
            std::this_thread::sleep_for(std::chrono::milliseconds(1)); // the server is starting
    }
    fail("connect");
}

void read_exact(HANDLE pipe, void* data, std::size_t size) {
    auto* p = static_cast<char*>(data);
    while (size > 0) {
        DWORD n = 0;
        if (!::ReadFile(pipe, p, static_cast<DWORD>(size), &n, nullptr) || n == 0)
            fail("ReadFile");
        p += n;
        size -= n;
    }
}

void write_all(HANDLE pipe, const void* data, std::size_t size) {
    DWORD n = 0;
    if (!::WriteFile(pipe, data, static_cast<DWORD>(size), &n, nullptr) || n != size)
        fail("WriteFile");
}

namespace {

constexpr std::uint32_t frame_magic = 0x314B534C; // "LSK1"
constexpr std::uint8_t frame_version = 2;
constexpr std::uint8_t frame_kind_data = 1;

void header_of(char (&out)[frame_header_bytes], std::size_t handles, std::size_t payload) {
    const auto count = static_cast<std::uint16_t>(handles);
    const auto length = static_cast<std::uint32_t>(payload);
    std::memset(out, 0, sizeof out);
    std::memcpy(out, &frame_magic, 4); // little-endian, as x86-64 Windows is
    out[4] = static_cast<char>(frame_version);
    out[5] = static_cast<char>(frame_kind_data);
    std::memcpy(out + 6, &count, 2);
    std::memcpy(out + 8, &length, 4);
    out[12] = static_cast<char>(handles > 0 ? frame_table_push : 0);
}

} // namespace

void put_frame_header(char* out, std::size_t handles, std::size_t payload) {
    char header[frame_header_bytes];
    header_of(header, handles, payload);
    std::memcpy(out, header, sizeof header);
}

bool is_frame_header(const char* in, std::size_t handles, std::size_t payload) {
    char header[frame_header_bytes];
    header_of(header, handles, payload);
    return std::memcmp(in, header, sizeof header) == 0;
}

namespace {

// The system handle table's entries for this process (the table truncates
// process ids to 16 bits; under Wine they are small).
std::size_t count_in_system_table() {
    struct Entry {
        USHORT pid;
        USHORT creator_back_trace;
        UCHAR object_type;
        UCHAR attributes;
        USHORT value;
        PVOID object;
        ULONG access;
    };
    using Query = LONG(WINAPI*)(ULONG, PVOID, ULONG, PULONG);
    constexpr ULONG system_handle_information = 16;
    constexpr LONG info_length_mismatch = static_cast<LONG>(0xC0000004);
    const auto query = reinterpret_cast<Query>(
        reinterpret_cast<void*>(::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "NtQuerySystemInformation")));
    if (query == nullptr)
        fail("no NtQuerySystemInformation");
    std::vector<unsigned char> table(1 << 20);
    for (;;) {
        ULONG length = 0;
        const LONG status = query(system_handle_information, table.data(), static_cast<ULONG>(table.size()), &length);
        if (status == info_length_mismatch) {
            table.resize(table.size() * 2);
            continue;
        }
        if (status != 0)
            fail("NtQuerySystemInformation");
        break;
    }
    ULONG entries = 0;
    std::memcpy(&entries, table.data(), sizeof entries);
    const auto* first = table.data() + sizeof(void*); // the count is padded to pointer alignment
    const auto me = static_cast<USHORT>(::GetCurrentProcessId());
    std::size_t count = 0;
    for (ULONG i = 0; i < entries; ++i) {
        Entry entry;
        std::memcpy(&entry, first + i * sizeof(Entry), sizeof entry);
        count += entry.pid == me;
    }
    return count;
}

} // namespace

std::size_t open_handles() {
    DWORD count = 0;
    if (::GetProcessHandleCount(::GetCurrentProcess(), &count) && count > 0)
        return count;
    return count_in_system_table();
}

HandleLeakCheck::~HandleLeakCheck() {
    const std::size_t now = open_handles();
    if (now != at_start_)
        fail("handles open at exit: " + std::to_string(now) + ", at start " + std::to_string(at_start_));
}

} // namespace bench::win32
