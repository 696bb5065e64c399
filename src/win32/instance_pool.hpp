// Private: what a listener is on Windows, for streams (byte-mode pipes) and
// seqpackets (message-mode pipes) alike — a pool of named-pipe instances,
// each waiting for a client, so that clients can connect before accept() as
// with a POSIX backlog, and a fresh instance always waits so a client never
// finds the name missing between two accepts.
#pragma once

#include "pipes.hpp"
#include "security.hpp"

#include <localsock/listener.hpp>

#include <memory>
#include <vector>

namespace localsock::win32 {

struct Instance; // one pipe instance and its pending ConnectNamedPipe

class InstancePool {
public:
    InstancePool() noexcept;
    InstancePool(const InstancePool&) = delete;
    InstancePool& operator=(const InstancePool&) = delete;
    ~InstancePool(); // cancels the pending connects

    // Creates min(backlog, 16) instances of `name` — the first one exclusive,
    // after a check that nobody serves the name already — with the options'
    // security descriptor (default: current user, SYSTEM, administrators).
    bool open(const LocalSocketName& name, const ListenerOptions& options, PipeType type,
              std::error_code& ec) noexcept;

    // The next connected instance, waiting for one at most `timeout`
    // milliseconds (INFINITE: forever; else timed_out) unless `nonblocking`
    // (then std::errc::operation_would_block). Either way the connects stay
    // pending. A fresh instance replaces it before this returns.
    OwnedHandle accept(bool nonblocking, DWORD timeout, std::error_code& ec) noexcept;

    HANDLE native_handle() const noexcept;
    // Gives up the first instance; the others are closed.
    OwnedHandle release() noexcept;

private:
    bool arm(Instance& instance, bool first, std::error_code& ec) noexcept;
    bool add_instance(bool first, std::error_code& ec) noexcept;

    std::wstring path_;
    PipeType type_ = PipeType::byte;
    SecurityAttributes security_;
    std::vector<std::unique_ptr<Instance>> instances_;
    std::size_t waiting_ = 1; // how many instances to keep
};

} // namespace localsock::win32
