// Hand-written Win32 named-pipe calls shared by the Windows floors (win32raw,
// async-win32) and the client every server of the Windows async table is
// measured with: nothing between the benchmark and the system.
#pragma once

// Without winsock.h: the Asio contender includes winsock2.h after this.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace bench::win32 {

// "@name" (the benchmarks' portable spelling) or "name" -> \\.\pipe\name.
std::wstring pipe_path(const std::string& name);

// A byte-mode duplex instance of `path`; `flags` adds to PIPE_ACCESS_DUPLEX
// (FILE_FLAG_OVERLAPPED for an event loop).
HANDLE create_instance(const std::wstring& path, DWORD flags = 0);
// Retries until the server is up and has an instance free.
HANDLE connect_to(const std::wstring& path, DWORD flags = 0);

// Blocking, on a handle opened without FILE_FLAG_OVERLAPPED.
void read_exact(HANDLE pipe, void* data, std::size_t size);
void write_all(HANDLE pipe, const void* data, std::size_t size);

// The handle workloads' messages, in localsock's frame layout
// (docs/wire-format.md): a 16-byte header, the handle values (pushed: already
// duplicated into the receiver), then the payload. The one protocol every
// server of the async table speaks, the hand-written one included.
inline constexpr std::size_t frame_header_bytes = 16;
inline constexpr std::uint8_t frame_table_push = 2;
// Writes the header of a data frame of `payload` bytes and `handles` pushed handle values.
void put_frame_header(char* out, std::size_t handles, std::size_t payload);
// Whether `in` starts a data frame of `payload` bytes with `handles` pushed values.
bool is_frame_header(const char* in, std::size_t handles, std::size_t payload);

// How many handles the process has open. Wine's GetProcessHandleCount says 0:
// there the system handle table is counted.
std::size_t open_handles();

// Put one first in a server: when it goes, the server must have closed every
// handle it opened or received (fails otherwise).
class HandleLeakCheck {
public:
    HandleLeakCheck() : at_start_(open_handles()) {}
    ~HandleLeakCheck();
    HandleLeakCheck(const HandleLeakCheck&) = delete;
    HandleLeakCheck& operator=(const HandleLeakCheck&) = delete;

private:
    std::size_t at_start_;
};

} // namespace bench::win32
