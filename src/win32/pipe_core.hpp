// Private: what every connection is on Windows — LocalStream over a
// byte-mode pipe, LocalSeqpacket over a message-mode pipe — and what they
// share: opening one, its settings, its peer, and the non-blocking write it
// may leave in flight. Each Impl derives from PipeCore (as the POSIX ones
// derive from SocketCore).
#pragma once

#include "overlapped.hpp"
#include "pipes.hpp"
#include "../wire/frame.hpp"
#include "win32.hpp"

#include <localsock/error.hpp>
#include <localsock/stream.hpp>

#include <chrono>
#include <memory>
#include <new>
#include <system_error>
#include <utility>

namespace localsock::win32 {

// What a connection does with handles (ListenerOptions / ConnectOptions).
struct HandleRules {
    bool handle_passing = true; // framed (docs/wire-format.md)
    HandleTransfer transfer = HandleTransfer::automatic;
    PushedHandles pushed = PushedHandles::accept_if_verified;
};
template <class Options>
HandleRules handle_rules(const Options& options) noexcept {
    return {options.handle_passing, options.handle_transfer, options.pushed_handles};
}

// Whether the peer has been found to hold PROCESS_DUP_HANDLE on this
// process (push_trust.cpp), checked at the first frame it pushes.
enum class PushTrust : unsigned char { unknown, verified, refused };

struct PipeCore {
    OwnedHandle pipe;
    LocalSocketName name;
    std::size_t max_handles = max_handles_per_message;
    bool handle_passing = true; // framed (docs/wire-format.md)
    HandleTransfer transfer = HandleTransfer::automatic;
    PushedHandles pushed = PushedHandles::accept_if_verified;
    PushTrust push_trust = PushTrust::unknown;
    // The table this end's frames put their values in, decided at the first
    // send of handles (`transfer`) and kept for the connection.
    wire::Table send_table = wire::Table::none;
    bool is_server = false;     // which end: picks the peer's process id call
    bool nonblocking = false;
    bool read_shut = false;
    bool write_shut = false;
    DWORD read_timeout = INFINITE;
    DWORD write_timeout = INFINITE;
    // One OVERLAPPED per direction: a reader and a writer thread never share one.
    Overlapped read_io;
    Overlapped write_io;
    // PROCESS_DUP_HANDLE on the peer, opened once, when first needed: by the
    // writing side to push handles into it, by the reading side to take
    // (pull) the handles it sends. One each, so that a reader thread and a
    // writer thread never open or read the same member at once.
    OwnedHandle send_peer_process;
    OwnedHandle receive_peer_process;
    // Set by close(): where the final CloseHandle's error goes. It is made by
    // ~PipeCore, after the derived Impl has finished with the pipe (a stream
    // reads out the handles of unread frames) and before the pipe member
    // would close it silently.
    std::error_code* close_error = nullptr;

    PipeCore() = default;
    PipeCore(const PipeCore&) = delete;
    PipeCore& operator=(const PipeCore&) = delete;
    ~PipeCore();

    // A non-blocking write stays in flight until the next write collects it:
    // a pipe write may complete asynchronously even when there is room, and
    // cannot be polled. If it carries a frame's handle values from its first
    // byte, they are here, so that cancelling it before a byte went out
    // closes their copies in the peer (which will never see them).
    bool write_pending = false;
    const std::byte* in_flight_values = nullptr; // encoded, wire::value_size bytes each
    std::size_t in_flight_handles = 0;
    wire::Table in_flight_table = wire::Table::none; // where those copies are

    // Completion-port mode (the Asio layer: completion_port.cpp). A
    // non-blocking write made by an Asio write operation (port_prepare) is
    // prepared, not started: the operation starts it with an OVERLAPPED of
    // its own, so that its completion is queued to the io_context's port,
    // and reports how it ended (finish_port_write). write_pending covers it
    // from preparation to that report. A direct call on the sync object
    // writes as in non-blocking mode (its event masked from the port).
    bool port_mode = false;
    bool port_prepare = false; // set around an Asio write attempt: its write is prepared, not started
    bool port_bound = false; // the pipe is bound to a completion port already
    const void* prepared_data = nullptr;
    DWORD prepared_size = 0;
    DWORD prepared_payload = 0; // of those bytes, payload (a stream's others are frame prefix)
    OVERLAPPED* port_write = nullptr; // the started write's, until it is reported
};

inline bool is_open(const PipeCore* core) noexcept { return core != nullptr && core->pipe.valid(); }

// --- the write in flight ------------------------------------------------------
// Waits for it: at once in non-blocking mode (else would_block), within the
// write timeout otherwise (else timed_out). Its failure is reported now.
bool finish_pending_write(PipeCore& core, std::error_code& ec) noexcept;
// Starts a write of `data`, which must outlive it, and leaves it in flight.
bool start_pending_write(PipeCore& core, const void* data, DWORD size, std::error_code& ec) noexcept;
// Cancels it and waits until its buffer is free again (release, destruction).
void cancel_pending_write(PipeCore& core) noexcept;
// Completion-port mode: the prepared write ended with `error` after `bytes`
// (of prepared_size). Copies of handles in it that never reached the peer
// are closed; `ec` is the write's error. Returns the bytes that did not go.
DWORD finish_port_write(PipeCore& core, DWORD error, DWORD bytes, std::error_code& ec) noexcept;

// Non-blocking reads start only when bytes are queued (an overlapped read
// cannot be abandoned without risking its data): how many are, or 0 — with
// would_block when none are, without an error when the peer has gone.
DWORD queued_bytes(PipeCore& core, std::error_code& ec) noexcept;

// --- settings; each checks that the connection is open -------------------------
// A negative timeout is refused; zero is "forever".
void set_timeout(PipeCore* core, DWORD PipeCore::*field, std::chrono::milliseconds timeout,
                 std::error_code& ec) noexcept;
void set_nonblocking(PipeCore* core, bool nonblocking, std::error_code& ec) noexcept;
void set_handle_limit(PipeCore* core, std::size_t limit, std::error_code& ec) noexcept;
// The part of shutdown() both types share. True when an end-of-stream frame
// must now be sent (then set write_shut once it is): a pipe has no
// half-close, and without framing the peer could not tell one from data.
bool shutdown_needs_end_frame(PipeCore* core, Shutdown how, std::error_code& ec) noexcept;

// --- the peer (credentials.cpp) ---------------------------------------------------
PeerCredentials peer_credentials(const PipeCore* core, std::error_code& ec) noexcept;
OwnedHandle open_peer_process(const PipeCore* core, std::error_code& ec) noexcept;

// --- opening ------------------------------------------------------------------------
// The Impl of a public connection class around a pipe it now owns.
template <class Impl>
std::unique_ptr<Impl> make_connection(OwnedHandle pipe, const LocalSocketName& name, bool is_server,
                                      const HandleRules& rules, std::error_code& ec) noexcept {
    auto impl = std::unique_ptr<Impl>(new (std::nothrow) Impl); // events and buffers come with the first I/O
    if (!impl) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return nullptr;
    }
    try {
        impl->name = name;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return nullptr;
    }
    impl->pipe = std::move(pipe);
    impl->is_server = is_server;
    impl->handle_passing = rules.handle_passing;
    impl->transfer = rules.transfer;
    impl->pushed = rules.pushed;
    return impl;
}

// A client end of `name`, of the pipe type the Impl needs (pipes.hpp: open_client).
template <class Impl>
std::unique_ptr<Impl> connect_pipe(const LocalSocketName& name, PipeType type, const ConnectOptions& options,
                                   std::error_code& ec) noexcept {
    if (name.empty()) {
        ec = errc::empty_name;
        return nullptr;
    }
    OwnedHandle pipe;
    try {
        // Non-blocking: every instance busy is would_block, not a wait.
        pipe = open_client(pipe_path(name), type, options.nonblocking ? std::chrono::milliseconds(0)
                                                                      : options.busy_timeout, ec);
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    }
    if (!pipe) {
        if (options.nonblocking && ec == std::errc::timed_out)
            ec = std::make_error_code(std::errc::operation_would_block);
        return nullptr;
    }
    auto connection = make_connection<Impl>(std::move(pipe), name, false, handle_rules(options), ec);
    if (connection)
        connection->nonblocking = options.nonblocking;
    return connection;
}

// Two connected ends, framed, as pair() gives them: {server end, client end}.
template <class Impl>
std::pair<std::unique_ptr<Impl>, std::unique_ptr<Impl>> make_connection_pair(PipeType type,
                                                                             std::error_code& ec) noexcept {
    OwnedHandle server, client;
    if (!create_pair(type, server, client, ec))
        return {};
    auto first = make_connection<Impl>(std::move(server), {}, true, HandleRules{}, ec);
    auto second = make_connection<Impl>(std::move(client), {}, false, HandleRules{}, ec);
    if (ec)
        return {};
    return {std::move(first), std::move(second)};
}

// close() of LocalStream and LocalSeqpacket: destroys the Impl as the
// destructor would, reporting the error of the pipe's CloseHandle.
template <class Impl>
void close_connection(std::unique_ptr<Impl>& impl, std::error_code& ec) noexcept {
    ec.clear();
    if (!is_open(impl.get())) {
        impl.reset();
        ec = not_open();
        return;
    }
    impl->close_error = &ec;
    impl.reset();
}

// Gives up the pipe; a write still in flight is cancelled first.
template <class Impl>
OwnedHandle release_pipe(std::unique_ptr<Impl>& impl) noexcept {
    if (!impl)
        return {};
    cancel_pending_write(*impl);
    OwnedHandle pipe = std::move(impl->pipe);
    impl.reset();
    return pipe;
}

} // namespace localsock::win32
