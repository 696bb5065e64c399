// localsock: a connected, bidirectional byte stream between two processes.
#pragma once

#include <localsock/ancillary.hpp>
#include <localsock/buffer.hpp>
#include <localsock/config.hpp>
#include <localsock/handle.hpp>
#include <localsock/message.hpp>
#include <localsock/name.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace localsock {

namespace detail {
struct CompletionPortAccess; // the Windows Asio backend's entries (asio/detail/port_access.hpp)
}

// Handle-count limits. One message carries at most max_handles_per_message
// handles (Linux's SCM_MAX_FD); protocols that cap it lower have names here.
inline constexpr std::size_t max_handles_per_message = 253;
inline constexpr std::size_t wayland_max_handles = 28; // libwayland's MAX_FDS_OUT
inline constexpr std::size_t dbus_max_handles = 16;    // DBUS_DEFAULT_MESSAGE_UNIX_FDS

enum class Shutdown { read, write, both };

// Who is on the other end, as the kernel saw it when the connection was made.
// A field the platform cannot report is empty.
struct PeerCredentials {
    std::optional<std::int64_t> pid;
    std::optional<std::uint32_t> uid;  // POSIX
    std::optional<std::uint32_t> gid;  // POSIX
    std::vector<std::uint32_t> groups; // POSIX: supplementary groups (Linux SO_PEERGROUPS)
    std::string security_label;        // Linux: the LSM label (SO_PEERSEC), where an LSM gives one
    std::string user_sid;              // Windows: the peer's user SID, "S-1-5-21-..."
};

// Windows only (on POSIX the kernel carries handles, and these settings are
// ignored): how handles cross a framed pipe, and whom a receiver believes
// (docs/wire-format.md, "Trust"). A number read from a pipe never becomes,
// and never closes, a handle of the receiver unless the peer provably had
// the power to put it there.
enum class HandleTransfer : unsigned char {
    // Push where this end can open the peer's process for PROCESS_DUP_HANDLE
    // (decided once per connection), pull otherwise. Pushed handles are in
    // the receiver when they arrive, so they survive a sender that exits
    // right after sending, as with SCM_RIGHTS.
    automatic,
    // The sender copies each handle within its own process and the receiver
    // takes the copy from there: the receiver must be able to open the
    // sender's process (PROCESS_DUP_HANDLE), and the sender must still be
    // alive when the receiver reads. A peer can only ever give what it holds.
    pull,
    // The sender duplicates each handle into the receiver's process, which
    // it must be able to open; the receiver accepts the values only after
    // checking that the sender holds PROCESS_DUP_HANDLE on it (see PushedHandles).
    push,
};

// Windows only: what a receiver does with handles a peer pushed into it.
enum class PushedHandles : unsigned char {
    // Accepted if this end has checked, once per connection, that the peer
    // holds PROCESS_DUP_HANDLE on this process; otherwise refused.
    accept_if_verified,
    // Always refused: the receive reports std::errc::permission_denied and
    // the values are neither owned nor closed.
    refuse,
};

struct ConnectOptions {
    // Whether the stream can carry handles. Both ends must agree (see
    // ListenerOptions::handle_passing). On Windows, false makes the stream a
    // plain byte-mode pipe that talks to any named-pipe peer.
    bool handle_passing = true;
    // Windows: how long to wait for a free pipe instance while the server is
    // busy (ERROR_PIPE_BUSY). POSIX: a connect waits while the server's
    // backlog is full; a signal does not end that wait early.
    std::chrono::milliseconds busy_timeout = std::chrono::seconds(5);
    // Windows: how this end sends handles, and whether it accepts pushed ones.
    HandleTransfer handle_transfer = HandleTransfer::automatic;
    PushedHandles pushed_handles = PushedHandles::accept_if_verified;
    // Connect without waiting: a connect that would wait (a full backlog on
    // POSIX, every pipe instance busy on Windows) fails at once with
    // std::errc::operation_would_block, and the connected socket starts in
    // non-blocking mode (set_nonblocking). For event loops (localsock/asio.hpp).
    bool nonblocking = false;
};

// Threads: one thread reading (read_some, read_exact, receive) and one thread
// writing (write_some, write_all, send, shutdown(Shutdown::write)) at the
// same time is fine. Concurrent readers, or concurrent writers, must
// serialise: localsock takes no lock, and two writers would interleave their
// bytes (on Windows, break the framing of a stream that passes handles).
// Everything else (settings, shutdown of the read side, close, release,
// moving, destruction) needs the object to itself. Different objects are
// independent.
class LOCALSOCK_API LocalStream {
public:
    static LocalStream connect(const LocalSocketName& name, const ConnectOptions& options = {});
    static LocalStream connect(const LocalSocketName& name, std::error_code& ec) noexcept;
    static LocalStream connect(const LocalSocketName& name, const ConnectOptions& options,
                               std::error_code& ec) noexcept;

    // Two streams connected to each other (socketpair on POSIX).
    static std::pair<LocalStream, LocalStream> pair();
    static std::pair<LocalStream, LocalStream> pair(std::error_code& ec) noexcept;

    // Takes over a connected local stream socket, e.g. one that was received
    // with receive() or inherited. It becomes close-on-exec.
    // errc::wrong_socket_type for a local socket of another type,
    // errc::not_a_local_stream for anything else. POSIX only: not_supported
    // on Windows, where a pipe handle carries no framing state.
    static LocalStream adopt(OwnedHandle handle);
    static LocalStream adopt(OwnedHandle handle, std::error_code& ec) noexcept;

    LocalStream() noexcept;
    LocalStream(LocalStream&&) noexcept;
    LocalStream& operator=(LocalStream&&) noexcept;
    ~LocalStream();

    bool is_open() const noexcept;
    explicit operator bool() const noexcept { return is_open(); }
    // The name this stream was connected to or accepted on; empty for pairs
    // and adopted streams. Used in error messages.
    const LocalSocketName& name() const noexcept;

    // --- bytes --------------------------------------------------------------
    // read_some returns 0 at end of stream. write_some may write less than asked.
    std::size_t read_some(MutableBuffer buffer);
    std::size_t read_some(MutableBuffer buffer, std::error_code& ec) noexcept;
    std::size_t read_some(std::span<const MutableBuffer> buffers);
    std::size_t read_some(std::span<const MutableBuffer> buffers, std::error_code& ec) noexcept;
    std::size_t write_some(ConstBuffer buffer);
    std::size_t write_some(ConstBuffer buffer, std::error_code& ec) noexcept;
    std::size_t write_some(std::span<const ConstBuffer> buffers);
    std::size_t write_some(std::span<const ConstBuffer> buffers, std::error_code& ec) noexcept;

    // Loop until every byte moved. The error-code forms return the bytes moved
    // before an error; an early end of stream is errc::end_of_stream.
    void read_exact(MutableBuffer buffer);
    std::size_t read_exact(MutableBuffer buffer, std::error_code& ec) noexcept;
    void read_exact(std::span<const MutableBuffer> buffers);
    std::size_t read_exact(std::span<const MutableBuffer> buffers, std::error_code& ec) noexcept;
    void write_all(ConstBuffer buffer);
    std::size_t write_all(ConstBuffer buffer, std::error_code& ec) noexcept;
    void write_all(std::span<const ConstBuffer> buffers);
    std::size_t write_all(std::span<const ConstBuffer> buffers, std::error_code& ec) noexcept;

    // --- handles ------------------------------------------------------------
    // Sends all of `bytes` with `handles` attached to the first byte (so the
    // peer's receive() that reads that byte gets them). At least one byte is
    // required with handles. Returns the bytes written: if that is non-zero
    // the handles went out, exactly once, even when an error cut the rest off.
    // The caller keeps ownership of the handles it lent. On a stream opened
    // with handle_passing = false, handles give errc::handle_passing_disabled.
    std::size_t send(ConstBuffer bytes, std::span<const BorrowedHandle> handles);
    std::size_t send(ConstBuffer bytes, std::span<const BorrowedHandle> handles, std::error_code& ec) noexcept;
    std::size_t send(ConstBuffer bytes, std::initializer_list<BorrowedHandle> handles);
    std::size_t send(ConstBuffer bytes, std::initializer_list<BorrowedHandle> handles, std::error_code& ec) noexcept;
    std::size_t send(ConstBuffer bytes, std::span<const OwnedHandle> handles);
    std::size_t send(ConstBuffer bytes, std::span<const OwnedHandle> handles, std::error_code& ec) noexcept;

    // Reads like read_some and appends any handles that came with those bytes
    // to `handles` as owners (close-on-exec). If more handles arrived than
    // max_handles_per_receive() (or than the control buffer held), the bytes
    // are still delivered, every handle that arrived is closed, and the error
    // is errc::handles_truncated (thrown as HandlesTruncatedError, which
    // carries the byte count); errc::out_of_handles if this process ran out
    // of descriptors (its open-file limit) while they were installed. The
    // stream stays usable. A stream opened with handle_passing = false
    // accepts no handles. An empty buffer reads nothing and takes no
    // handles: they stay with their byte for the next receive.
    std::size_t receive(MutableBuffer buffer, std::vector<OwnedHandle>& handles);
    std::size_t receive(MutableBuffer buffer, std::vector<OwnedHandle>& handles, std::error_code& ec) noexcept;

    // Bytes with any control messages (POSIX; not_supported on Windows).
    // Like the handle form: the control data rides on the first byte, and
    // the return value is the bytes written.
    std::size_t send(ConstBuffer bytes, const ancillary::Builder& control);
    std::size_t send(ConstBuffer bytes, const ancillary::Builder& control, std::error_code& ec) noexcept;
    // Reads like read_some and collects every control message that came with
    // those bytes (result.bytes == 0: end of stream). Control truncation is
    // errc::control_truncated (errc::out_of_handles: the process ran out of
    // descriptors); with ReceiveFlags::peek the bytes stay queued. An empty
    // buffer reads nothing and takes no control data (returns 0 at once).
    ReceiveResult receive(MutableBuffer buffer, ancillary::Received& control, ReceiveFlags flags = ReceiveFlags::none);
    ReceiveResult receive(MutableBuffer buffer, ancillary::Received& control, ReceiveFlags flags,
                          std::error_code& ec) noexcept;
    // Linux: the bytes carry the sender's credentials (SO_PASSCRED), read
    // with ancillary::Received::credentials(). not_supported elsewhere.
    void set_receive_credentials(bool enabled);
    void set_receive_credentials(bool enabled, std::error_code& ec) noexcept;

    // How many handles one receive() accepts: 0..max_handles_per_message,
    // default max_handles_per_message. Zero refuses all handles.
    std::size_t max_handles_per_receive() const noexcept;
    void set_max_handles_per_receive(std::size_t limit);
    void set_max_handles_per_receive(std::size_t limit, std::error_code& ec) noexcept;

    // --- control ------------------------------------------------------------
    void shutdown(Shutdown how);
    void shutdown(Shutdown how, std::error_code& ec) noexcept;

    // A blocking read/write that waits longer than this fails with
    // std::errc::timed_out. Zero means wait forever (the default).
    void set_read_timeout(std::chrono::milliseconds timeout);
    void set_read_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept;
    void set_write_timeout(std::chrono::milliseconds timeout);
    void set_write_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept;

    // In non-blocking mode an operation that would wait fails with
    // std::errc::operation_would_block instead.
    void set_nonblocking(bool nonblocking);
    void set_nonblocking(bool nonblocking, std::error_code& ec) noexcept;

    PeerCredentials peer_credentials() const;
    PeerCredentials peer_credentials(std::error_code& ec) const noexcept;

    // The peer process itself, as a handle that a reused pid cannot confuse:
    // a pidfd on Linux (SO_PEERPIDFD, kernel 6.5+; not_supported before), a
    // process handle on Windows (waitable; GetProcessId). Close-on-exec /
    // non-inheritable like everything localsock hands out.
    OwnedHandle peer_process() const;
    OwnedHandle peer_process(std::error_code& ec) const noexcept;

    // Ends the socket now, as destruction would, and reports what closing
    // reported (an error is reported, the socket is closed all the same; a
    // close interrupted by a signal is not retried: the descriptor is gone).
    // Afterwards is_open() is false and every call fails with
    // std::errc::bad_file_descriptor, a second close() too.
    void close();
    void close(std::error_code& ec) noexcept;

    native_handle_type native_handle() const noexcept;
    // Gives up the socket; the stream is closed afterwards. On Windows the
    // framing state goes with it: bytes already read ahead, handles of a
    // frame not yet delivered (closed) and a non-blocking write still in
    // flight (cancelled) are lost, so release a stream only between messages.
    OwnedHandle release() noexcept;

    struct Impl;

private:
    explicit LocalStream(std::unique_ptr<Impl> impl) noexcept;
    friend class LocalListener;
    friend struct detail::CompletionPortAccess;
    template <class Handle>
    std::size_t send_handles(ConstBuffer bytes, std::span<const Handle> handles, std::error_code& ec) noexcept;

    std::unique_ptr<Impl> impl_;
};

} // namespace localsock
