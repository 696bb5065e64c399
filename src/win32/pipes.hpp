// Private: making named-pipe handles — server instances, client ends and
// connected pairs — in byte mode (LocalStream) or message mode
// (LocalSeqpacket), with the same protections either way.
#pragma once

#include "win32.hpp"

#include <chrono>
#include <string>

namespace localsock::win32 {

enum class PipeType { byte, message };

inline constexpr DWORD pipe_buffer_size = 65536;

// One server instance: overlapped, duplex, remote clients rejected, reads in
// the pipe's own type. With `first`, FILE_FLAG_FIRST_PIPE_INSTANCE: a name
// someone else serves is std::errc::address_in_use.
OwnedHandle create_instance(const std::wstring& path, PipeType type, bool first, DWORD max_instances,
                            SECURITY_ATTRIBUTES* security, std::error_code& ec) noexcept;

// A client end: identification level only (a hostile server cannot
// impersonate us); every instance busy waits for one within `busy_timeout`
// (then std::errc::timed_out); no server is std::errc::connection_refused,
// as an unbound name is on Linux. A message-type client reads whole messages;
// a byte-type server then is std::errc::wrong_protocol_type (Linux's
// EPROTOTYPE for a seqpacket connect to a stream socket).
OwnedHandle open_client(const std::wstring& path, PipeType type, std::chrono::milliseconds busy_timeout,
                        std::error_code& ec) noexcept;

// Two connected ends of a fresh pipe with a unique name and the default
// security (nobody else could connect first): {server end, client end}.
bool create_pair(PipeType type, OwnedHandle& server, OwnedHandle& client, std::error_code& ec) noexcept;

// True if any process serves a pipe of that name. FILE_FLAG_FIRST_PIPE_INSTANCE
// decides atomically on Windows; Wine ignores that flag, and this check keeps
// a second server off a taken name there too.
bool name_taken(const std::wstring& path) noexcept;

} // namespace localsock::win32
