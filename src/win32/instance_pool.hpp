// Private: what a listener is on Windows, for streams (byte-mode pipes) and
// seqpackets (message-mode pipes) alike — a pool of named-pipe instances,
// each waiting for a client, so that clients can connect before accept() as
// with a POSIX backlog, and a fresh instance always waits so a client never
// finds the name missing between two accepts.
#pragma once

#include "overlapped.hpp"
#include "pipes.hpp"
#include "security.hpp"

#include <localsock/listener.hpp>

#include <memory>
#include <vector>

namespace localsock::win32 {

struct Instance;

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
    // `port_bound`: whether the connection's pipe is bound to a completion
    // port already (its instance waited on the port; one a client reached
    // before that, never).
    OwnedHandle accept(bool nonblocking, DWORD timeout, std::error_code& ec, bool& port_bound) noexcept;

    // Completion-port mode (the Asio layer: completion_port.cpp): the
    // instances' ConnectNamedPipe calls are started by the Asio listener
    // with OVERLAPPEDs of its own, one per instance, and their ends reported
    // back; accept() only takes a connected instance (else would_block).
    // Turning it on takes over the connects pending now; turning it off
    // cancels the port's and waits with events again.
    void set_port_mode(bool on) noexcept;
    bool port_mode() const noexcept { return port_mode_; }
    std::size_t size() const noexcept { return instances_.size(); }
    // Instance `i` (stable while the pool lives: port mode never removes one).
    Instance& instance(std::size_t i) noexcept { return *instances_[i]; }

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
    bool port_mode_ = false;
};

// One pipe instance and its pending ConnectNamedPipe.
struct Instance {
    OwnedHandle pipe;
    Overlapped connect_io;
    bool pending = false; // ConnectNamedPipe in flight (event-based, or on the port)
    // Port connects started on this slot: a completion reports its number,
    // so that one of a connect cancelled and replaced meanwhile is ignored.
    unsigned port_connects = 0;
    // Completion-port mode: the pending connect's OVERLAPPED (the Asio
    // listener's; its hEvent is connect_io's event, so that cancelling can
    // wait for it), whether the pipe is bound to the port yet, and whether a
    // client is connected and waits for accept().
    OVERLAPPED* port_io = nullptr;
    bool port_bound = false;
    bool connected = false;

    void cancel() noexcept;
    // Starts waiting for a client on the instance's pipe.
    bool listen(std::error_code& ec) noexcept;
};

} // namespace localsock::win32
