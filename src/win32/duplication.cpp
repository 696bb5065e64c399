// Handle copies for the peer, and the values a peer sends turned into
// handles of this process only where it had the power to put them there.
#include "duplication.hpp"

namespace localsock::win32 {
namespace {

HANDLE as_handle(std::uint64_t value) noexcept { return reinterpret_cast<HANDLE>(static_cast<std::uintptr_t>(value)); }
HANDLE value_at(const std::byte* encoded, std::size_t i) noexcept {
    return as_handle(wire::decode_value(encoded + i * wire::value_size));
}

// Closes a handle in another process without bringing it here. Windows
// closes the source "regardless of any error status".
void close_in(HANDLE process, HANDLE value) noexcept {
    ::DuplicateHandle(process, value, nullptr, nullptr, 0, FALSE, DUPLICATE_CLOSE_SOURCE);
}

} // namespace

bool peer_process_id(HANDLE pipe, bool is_server, ULONG& pid, std::error_code& ec) noexcept {
    const BOOL known = is_server ? ::GetNamedPipeClientProcessId(pipe, &pid) : ::GetNamedPipeServerProcessId(pipe, &pid);
    if (!known)
        ec = last_error();
    return known;
}

bool open_peer_for_duplication(PipeCore& core, OwnedHandle& peer_process, std::error_code& ec) noexcept {
    if (peer_process)
        return true;
    ULONG pid = 0;
    if (!peer_process_id(core.pipe.get(), core.is_server, pid, ec))
        return false;
    OwnedHandle process = own(::OpenProcess(PROCESS_DUP_HANDLE | SYNCHRONIZE, FALSE, pid));
    if (!process) {
        ec = last_error();
        return false;
    }
    // The id was the peer's when it connected. If that process has ended,
    // the id may be another's now: never duplicate from or into that one.
    DWORD available = 0;
    if (::WaitForSingleObject(process.get(), 0) != WAIT_TIMEOUT ||
        !::PeekNamedPipe(core.pipe.get(), nullptr, 0, nullptr, &available, nullptr)) {
        ec = std::make_error_code(std::errc::broken_pipe);
        return false;
    }
    peer_process = std::move(process);
    return true;
}

wire::Table decide_send_table(PipeCore& core, std::error_code& ec) noexcept {
    if (core.send_table == wire::Table::none) {
        switch (core.transfer) {
            case HandleTransfer::pull: core.send_table = wire::Table::sender; break;
            case HandleTransfer::push:
                if (open_peer_for_duplication(core, core.send_peer_process, ec))
                    core.send_table = wire::Table::receiver;
                break;
            case HandleTransfer::automatic: {
                std::error_code ignored; // a peer we cannot open takes the copies from us instead
                core.send_table = open_peer_for_duplication(core, core.send_peer_process, ignored) ? wire::Table::receiver : wire::Table::sender;
                break;
            }
        }
    }
    return core.send_table;
}

bool copy_one(HANDLE process, HANDLE handle, std::byte* encoded, std::error_code& ec) noexcept {
    HANDLE copy = nullptr;
    if (!::DuplicateHandle(::GetCurrentProcess(), handle, process, &copy, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
        ec = last_error();
        return false;
    }
    wire::encode_value(static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(copy)), encoded);
    return true;
}

void withdraw_copies(PipeCore& core, wire::Table table, const std::byte* encoded, std::size_t count) noexcept {
    for (std::size_t i = 0; i < count; ++i) {
        if (table == wire::Table::sender) // our own copies
            ::CloseHandle(value_at(encoded, i));
        else if (table == wire::Table::receiver && core.send_peer_process)
            close_in(core.send_peer_process.get(), value_at(encoded, i));
    }
}

std::error_code take_values(PipeCore& core, const wire::Header& header, const std::byte* encoded,
                            OwnedHandle* out) noexcept {
    const std::size_t count = header.handle_count;
    if (header.table == wire::Table::receiver) {
        if (!peer_may_push(core))
            return std::make_error_code(std::errc::permission_denied);
        for (std::size_t i = 0; i < count; ++i)
            out[i].reset(value_at(encoded, i));
        return {};
    }
    std::error_code ec;
    if (!open_peer_for_duplication(core, core.receive_peer_process, ec))
        return errc::handles_truncated; // they stay in the sender: its own to close
    // Each value is taken out of the sender (and closed there, whatever
    // happens), so the peer can only ever give what it holds itself.
    bool all = true;
    for (std::size_t i = 0; i < count; ++i) {
        HANDLE mine = nullptr;
        if (::DuplicateHandle(core.receive_peer_process.get(), value_at(encoded, i), ::GetCurrentProcess(), &mine, 0, FALSE,
                              DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE))
            out[i].reset(mine);
        else
            all = false;
    }
    if (all)
        return {};
    for (std::size_t i = 0; i < count; ++i)
        out[i].reset();
    return errc::handles_truncated;
}

void discard_values(PipeCore& core, const wire::Header& header, const std::byte* encoded) noexcept {
    const std::size_t count = header.handle_count;
    if (header.table == wire::Table::receiver) {
        if (!peer_may_push(core))
            return;
        for (std::size_t i = 0; i < count; ++i)
            ::CloseHandle(value_at(encoded, i));
        return;
    }
    std::error_code ec;
    if (!open_peer_for_duplication(core, core.receive_peer_process, ec))
        return;
    for (std::size_t i = 0; i < count; ++i)
        close_in(core.receive_peer_process.get(), value_at(encoded, i));
}

} // namespace localsock::win32
