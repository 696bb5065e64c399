// Private: what the Windows Asio backend (completion_port.hpp) asks of the
// compiled library — the library's side of completion-port mode. Not API:
// the two are one version of localsock, built together.
//
// In completion-port mode the non-blocking writes of an Asio write operation
// are prepared, not started: the operation starts the prepared write with an
// OVERLAPPED of its own, so that the completion is queued to its
// io_context's port, and reports the result back. Reads need nothing: the
// backend waits with a zero-byte read, which completes when a byte or a
// message arrives and takes nothing, and then calls the non-blocking read,
// which finds the data queued. A listener's instances are bound to the port
// and given a ConnectNamedPipe each by the backend; accept() takes one that
// connected. Values are Win32 ones, as unsigned long and void* (no
// <windows.h> in localsock's headers).
#pragma once

#include <localsock/config.hpp>
#include <localsock/listener.hpp>
#include <localsock/seqpacket.hpp>
#include <localsock/stream.hpp>

#include <cstddef>
#include <system_error>

namespace localsock::detail {

struct CompletionPortAccess {
    // --- connections (LocalStream, LocalSeqpacket) --------------------------
    // Turns completion-port mode on or off (a write still prepared or in
    // flight is cancelled first when it goes off).
    LOCALSOCK_API static void set_port_mode(LocalStream& s, bool on) noexcept;
    LOCALSOCK_API static void set_port_mode(LocalSeqpacket& s, bool on) noexcept;
    // Whether the pipe is bound to a completion port already (a connection
    // accepted by a listener in completion-port mode).
    LOCALSOCK_API static bool port_bound(const LocalStream& s) noexcept;
    LOCALSOCK_API static bool port_bound(const LocalSeqpacket& s) noexcept;
    // Around a write operation's attempt: its writes are prepared, not
    // started (a direct write on the sync object starts its own).
    LOCALSOCK_API static void set_preparing(LocalStream& s, bool on) noexcept;
    LOCALSOCK_API static void set_preparing(LocalSeqpacket& s, bool on) noexcept;
    // Whether the last call prepared a write that is not started yet; if so
    // its size and how much of it is payload (the rest: a stream's frame
    // prefix), so that the operation can tell what did not go even when the
    // sync object is gone by its end (release()).
    LOCALSOCK_API static bool write_prepared(const LocalStream& s, std::size_t& size, std::size_t& payload) noexcept;
    LOCALSOCK_API static bool write_prepared(const LocalSeqpacket& s, std::size_t& size,
                                             std::size_t& payload) noexcept;
    // Starts the prepared write with `overlapped` (an OVERLAPPED*): 0 when it
    // started (its completion will be queued to the port), else the Win32
    // error that stopped it (no completion will come: report it with
    // write_finished).
    LOCALSOCK_API static unsigned long start_write(LocalStream& s, void* overlapped) noexcept;
    LOCALSOCK_API static unsigned long start_write(LocalSeqpacket& s, void* overlapped) noexcept;
    // The event a started write carries (a HANDLE): set when it has ended and
    // its buffer is free again.
    LOCALSOCK_API static void* write_event(const LocalStream& s) noexcept;
    LOCALSOCK_API static void* write_event(const LocalSeqpacket& s) noexcept;
    // The started write ended with `error` (0, or a Win32 error) after
    // `bytes`. Sets ec to the write's error; what did not go is given back to
    // the stream's framing state (the rest of a prefix, or payload the frame
    // still announces) so that the next write sends it, and the handle
    // copies of a frame of which nothing went are closed where they are. (The
    // operation counts the unsent bytes itself, from write_prepared's figures.)
    LOCALSOCK_API static void write_finished(LocalStream& s, unsigned long error, std::size_t bytes,
                                             std::error_code& ec) noexcept;
    LOCALSOCK_API static void write_finished(LocalSeqpacket& s, unsigned long error, std::size_t bytes,
                                             std::error_code& ec) noexcept;

    // --- listeners (LocalListener, LocalSeqpacketListener) -----------------
    LOCALSOCK_API static void set_port_mode(LocalListener& l, bool on) noexcept;
    LOCALSOCK_API static void set_port_mode(LocalSeqpacketListener& l, bool on) noexcept;
    // The pool's instance slots (indexes stay valid while the listener lives).
    LOCALSOCK_API static std::size_t instance_count(LocalListener& l) noexcept;
    LOCALSOCK_API static std::size_t instance_count(LocalSeqpacketListener& l) noexcept;
    // An instance that waits for nothing yet: its pipe (a HANDLE, to bind to
    // the port when `needs_bind`), or nullptr when the slot is connected,
    // connecting, or has no instance.
    LOCALSOCK_API static void* idle_instance(LocalListener& l, std::size_t i, bool& needs_bind) noexcept;
    LOCALSOCK_API static void* idle_instance(LocalSeqpacketListener& l, std::size_t i, bool& needs_bind) noexcept;
    // Starts instance i's ConnectNamedPipe with `overlapped` (bound: the
    // caller bound the pipe). 0: pending, its completion will be queued;
    // otherwise no completion comes and the result is final (ERROR_PIPE_CONNECTED:
    // a client is there, report it with connect_finished; any other: the error).
    LOCALSOCK_API static unsigned long start_connect(LocalListener& l, std::size_t i, void* overlapped) noexcept;
    LOCALSOCK_API static unsigned long start_connect(LocalSeqpacketListener& l, std::size_t i,
                                                     void* overlapped) noexcept;
    // Instance i's connect ended with `error` (0 or ERROR_PIPE_CONNECTED: a
    // client waits for accept(); a client that already left, or a
    // cancellation: the instance is idle again).
    // `number`: the connect's, next_connect_number's value when it started
    // (the report of an older connect, cancelled and replaced since, is
    // ignored: it would clobber the newer one's state).
    LOCALSOCK_API static void connect_finished(LocalListener& l, std::size_t i, unsigned long error,
                                               unsigned number) noexcept;
    LOCALSOCK_API static void connect_finished(LocalSeqpacketListener& l, std::size_t i, unsigned long error,
                                               unsigned number) noexcept;
    // The number the next start_connect of slot i gets.
    LOCALSOCK_API static unsigned next_connect_number(LocalListener& l, std::size_t i) noexcept;
    LOCALSOCK_API static unsigned next_connect_number(LocalSeqpacketListener& l, std::size_t i) noexcept;
    // Cancels every pending connect and waits until they are over (the
    // port still receives their completions).
    LOCALSOCK_API static void cancel_connects(LocalListener& l) noexcept;
    LOCALSOCK_API static void cancel_connects(LocalSeqpacketListener& l) noexcept;
};

} // namespace localsock::detail
