#include "win32_io.hpp"

#include "harness.hpp"

#include <cstring>
#include <thread>
#include <cstdint>

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

// Wine's GetProcessHandleCount says 0, and its system handle table, which
// the tests read, must not be read here: Wine 8's server crashes building
// it while a process with no handle yet exists, and every round starts a
// client beside the server (tests/meson.build says more). So the values are
// probed one by one instead. Wine gives out the lowest free value, so a
// benchmark's few dozen handles lie far below the bound.
std::size_t count_by_probing() {
    constexpr std::uintptr_t last_value = 4 * 2048;
    std::size_t count = 0;
    for (std::uintptr_t value = 4; value <= last_value; value += 4) {
        DWORD flags = 0;
        count += ::GetHandleInformation(reinterpret_cast<HANDLE>(value), &flags) != 0;
    }
    return count;
}

} // namespace

std::size_t open_handles() {
    DWORD count = 0;
    if (::GetProcessHandleCount(::GetCurrentProcess(), &count) && count > 0)
        return count;
    return count_by_probing();
}

HandleLeakCheck::~HandleLeakCheck() {
    const std::size_t now = open_handles();
    if (now != at_start_)
        fail("handles open at exit: " + std::to_string(now) + ", at start " + std::to_string(at_start_));
}

} // namespace bench::win32
