// Handle duplication into a peer process and the checks on values received.
#include "duplication.hpp"

namespace localsock::win32 {
namespace {
HANDLE as_handle(std::uint64_t value) noexcept { return reinterpret_cast<HANDLE>(static_cast<std::uintptr_t>(value)); }
} // namespace

bool peer_process_id(HANDLE pipe, bool is_server, ULONG& pid, std::error_code& ec) noexcept {
    const BOOL known = is_server ? ::GetNamedPipeClientProcessId(pipe, &pid) : ::GetNamedPipeServerProcessId(pipe, &pid);
    if (!known)
        ec = last_error();
    return known;
}

bool open_peer_for_duplication(HANDLE pipe, bool is_server, OwnedHandle& peer, std::error_code& ec) noexcept {
    if (peer)
        return true;
    ULONG pid = 0;
    if (!peer_process_id(pipe, is_server, pid, ec))
        return false;
    peer = own(::OpenProcess(PROCESS_DUP_HANDLE, FALSE, pid));
    if (!peer) {
        ec = last_error();
        return false;
    }
    return true;
}

bool duplicate_one(HANDLE peer, HANDLE handle, std::byte* encoded, std::error_code& ec) noexcept {
    HANDLE remote = nullptr;
    if (!::DuplicateHandle(::GetCurrentProcess(), handle, peer, &remote, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
        ec = last_error();
        return false;
    }
    frame::encode_value(static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(remote)), encoded);
    return true;
}

void close_remote(HANDLE peer, const std::byte* encoded, std::size_t count) noexcept {
    for (std::size_t i = 0; i < count; ++i)
        ::DuplicateHandle(peer, as_handle(frame::decode_value(encoded + i * frame::value_size)), nullptr, nullptr, 0,
                          FALSE, DUPLICATE_CLOSE_SOURCE);
}

bool plausible_values(const std::byte* encoded, std::size_t count) noexcept {
    for (std::size_t i = 0; i < count; ++i)
        if (!frame::plausible_handle(frame::decode_value(encoded + i * frame::value_size)))
            return false;
    return true;
}

void own_values(const std::byte* encoded, std::size_t count, OwnedHandle* out) noexcept {
    for (std::size_t i = 0; i < count; ++i)
        out[i].reset(as_handle(frame::decode_value(encoded + i * frame::value_size)));
}

} // namespace localsock::win32
