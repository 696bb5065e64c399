// localsock: connected, reliable, message-preserving local sockets
// (SOCK_SEQPACKET on POSIX, message-mode named pipes on Windows).
#pragma once

#include <localsock/ancillary.hpp>
#include <localsock/buffer.hpp>
#include <localsock/config.hpp>
#include <localsock/handle.hpp>
#include <localsock/listener.hpp>
#include <localsock/message.hpp>
#include <localsock/name.hpp>
#include <localsock/stream.hpp>

#include <chrono>
#include <initializer_list>
#include <memory>
#include <span>
#include <system_error>
#include <utility>
#include <vector>

namespace localsock {

namespace detail {
struct CompletionPortAccess; // the Windows Asio backend's entries (asio/detail/port_access.hpp)
}

// One end of a sequenced-packet connection: every send() arrives as exactly
// one receive(), whole, in order, with the handles it carried.
//
// A message has at least one byte (so that a receive of 0 bytes can only
// mean that the peer closed: receive() then returns bytes == 0). A foreign
// peer can still send an empty message (Python's send(b""), a plain
// message-mode pipe on Windows); receive() reports it as errc::empty_message
// — the message is consumed, any handles it carried are closed, and the
// messages after it follow as usual — so that it never reads as the end.
// One case stays ambiguous on POSIX: an empty message that was the peer's
// last before it closed, with nothing queued behind it, reads as the end
// (nothing is lost but the empty message); with set_receive_credentials(true)
// even that one is told apart. Windows always tells them apart.
//
// Threads: one thread reading (receive, next_message_size) and one thread
// writing (send, shutdown(Shutdown::write)) at the same time is fine.
// Concurrent readers, or concurrent writers, must serialise: localsock takes
// no lock. Everything else
// (settings, shutdown of the read side, close, release, moving, destruction)
// needs the object to itself. Different objects are independent.
class LOCALSOCK_API LocalSeqpacket {
public:
    static LocalSeqpacket connect(const LocalSocketName& name, const ConnectOptions& options = {});
    static LocalSeqpacket connect(const LocalSocketName& name, std::error_code& ec) noexcept;
    static LocalSeqpacket connect(const LocalSocketName& name, const ConnectOptions& options,
                                  std::error_code& ec) noexcept;

    // Two connected ends (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC)
    // on POSIX, a message-mode pipe pair on Windows). To give one end to a
    // child that is about to exec, see OwnedHandle::set_inheritable and adopt.
    static std::pair<LocalSeqpacket, LocalSeqpacket> pair();
    static std::pair<LocalSeqpacket, LocalSeqpacket> pair(std::error_code& ec) noexcept;

    // Takes over a connected SOCK_SEQPACKET socket (inherited across exec,
    // received as a handle). It becomes close-on-exec. POSIX only.
    static LocalSeqpacket adopt(OwnedHandle handle);
    static LocalSeqpacket adopt(OwnedHandle handle, std::error_code& ec) noexcept;

    LocalSeqpacket() noexcept;
    LocalSeqpacket(LocalSeqpacket&&) noexcept;
    LocalSeqpacket& operator=(LocalSeqpacket&&) noexcept;
    ~LocalSeqpacket();

    bool is_open() const noexcept;
    explicit operator bool() const noexcept { return is_open(); }
    const LocalSocketName& name() const noexcept;

    // --- sending --------------------------------------------------------------
    // One message, whole or not at all (a message too big for the socket
    // fails with std::errc::message_size), with `handles` attached. The
    // caller keeps the handles. `parts` are gathered into one message.
    void send(ConstBuffer message, std::span<const BorrowedHandle> handles = {});
    void send(ConstBuffer message, std::error_code& ec) noexcept;
    void send(ConstBuffer message, std::span<const BorrowedHandle> handles, std::error_code& ec) noexcept;
    void send(ConstBuffer message, std::initializer_list<BorrowedHandle> handles);
    void send(ConstBuffer message, std::initializer_list<BorrowedHandle> handles, std::error_code& ec) noexcept;
    void send(ConstBuffer message, std::span<const OwnedHandle> handles);
    void send(ConstBuffer message, std::span<const OwnedHandle> handles, std::error_code& ec) noexcept;
    void send(std::span<const ConstBuffer> parts, std::span<const BorrowedHandle> handles = {});
    void send(std::span<const ConstBuffer> parts, std::span<const BorrowedHandle> handles,
              std::error_code& ec) noexcept;
    // With any control messages (POSIX; not_supported on Windows).
    void send(ConstBuffer message, const ancillary::Builder& control);
    void send(ConstBuffer message, const ancillary::Builder& control, std::error_code& ec) noexcept;

    // --- receiving ------------------------------------------------------------
    // The next message into `buffer` (see ReceiveResult for truncation);
    // bytes == 0 means the peer closed (an empty message from a foreign peer
    // is errc::empty_message instead, see above). Handles that came with it are
    // appended to `handles`; the form without `handles` accepts none (any
    // that come are closed and reported as control truncation).
    ReceiveResult receive(MutableBuffer buffer);
    ReceiveResult receive(MutableBuffer buffer, std::error_code& ec) noexcept;
    ReceiveResult receive(MutableBuffer buffer, std::vector<OwnedHandle>& handles);
    ReceiveResult receive(MutableBuffer buffer, std::vector<OwnedHandle>& handles, std::error_code& ec) noexcept;
    ReceiveResult receive(std::span<const MutableBuffer> parts, std::vector<OwnedHandle>& handles);
    ReceiveResult receive(std::span<const MutableBuffer> parts, std::vector<OwnedHandle>& handles,
                          std::error_code& ec) noexcept;
    // With every control message (POSIX; not_supported on Windows).
    ReceiveResult receive(MutableBuffer buffer, ancillary::Received& control, ReceiveFlags flags = ReceiveFlags::none);
    ReceiveResult receive(MutableBuffer buffer, ancillary::Received& control, ReceiveFlags flags,
                          std::error_code& ec) noexcept;

    // The size of the next message, waiting for one if none is queued,
    // without taking it (0: the peer closed; an empty message at the head:
    // 0 and errc::empty_message, and receive() then takes it; on Windows one
    // that arrives while this waits is taken by the wait). Linux (MSG_PEEK | MSG_TRUNC)
    // and Windows; not_supported where the kernel cannot tell.
    std::size_t next_message_size();
    std::size_t next_message_size(std::error_code& ec) noexcept;

    std::size_t max_handles_per_receive() const noexcept;
    void set_max_handles_per_receive(std::size_t limit);
    void set_max_handles_per_receive(std::size_t limit, std::error_code& ec) noexcept;

    // --- control --------------------------------------------------------------
    void shutdown(Shutdown how);
    void shutdown(Shutdown how, std::error_code& ec) noexcept;
    void set_read_timeout(std::chrono::milliseconds timeout);
    void set_read_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept;
    void set_write_timeout(std::chrono::milliseconds timeout);
    void set_write_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept;
    void set_nonblocking(bool nonblocking);
    void set_nonblocking(bool nonblocking, std::error_code& ec) noexcept;
    // Linux: every received message carries the sender's credentials
    // (SO_PASSCRED; read them with ancillary::Received::credentials()).
    void set_receive_credentials(bool enabled);
    void set_receive_credentials(bool enabled, std::error_code& ec) noexcept;

    PeerCredentials peer_credentials() const;
    PeerCredentials peer_credentials(std::error_code& ec) const noexcept;
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
    OwnedHandle release() noexcept;

    struct Impl;

private:
    explicit LocalSeqpacket(std::unique_ptr<Impl> impl) noexcept;
    friend class LocalSeqpacketListener;
    friend struct detail::CompletionPortAccess;
    std::unique_ptr<Impl> impl_;
};

// A server for LocalSeqpacket connections; options as for LocalListener.
// Threads: accept() in one thread at a time (clients may connect from any
// thread meanwhile); every other call needs the object to itself.
class LOCALSOCK_API LocalSeqpacketListener {
public:
    static LocalSeqpacketListener bind(const LocalSocketName& name, const ListenerOptions& options = {});
    static LocalSeqpacketListener bind(const LocalSocketName& name, std::error_code& ec) noexcept;
    static LocalSeqpacketListener bind(const LocalSocketName& name, const ListenerOptions& options,
                                       std::error_code& ec) noexcept;
    // An inherited listening SOCK_SEQPACKET socket: errc::wrong_socket_type
    // for a local socket of another type (a stream listener),
    // errc::not_a_listener for anything else not listening. POSIX only.
    static LocalSeqpacketListener adopt(OwnedHandle handle);
    static LocalSeqpacketListener adopt(OwnedHandle handle, std::error_code& ec) noexcept;

    LocalSeqpacketListener() noexcept;
    LocalSeqpacketListener(LocalSeqpacketListener&&) noexcept;
    LocalSeqpacketListener& operator=(LocalSeqpacketListener&&) noexcept;
    ~LocalSeqpacketListener();

    bool is_open() const noexcept;
    explicit operator bool() const noexcept { return is_open(); }
    const LocalSocketName& local_name() const noexcept;

    LocalSeqpacket accept();
    LocalSeqpacket accept(std::error_code& ec) noexcept;

    void set_nonblocking(bool nonblocking);
    void set_nonblocking(bool nonblocking, std::error_code& ec) noexcept;
    // A blocking accept() that waits longer than this fails with
    // std::errc::timed_out; signals do not stretch it. Zero means wait
    // forever (the default).
    void set_accept_timeout(std::chrono::milliseconds timeout);
    void set_accept_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept;

    // Ends the listener now, as destruction would: removes the socket file it
    // created (if the path still refers to that file), closes the socket and
    // reports what closing reported. Afterwards is_open() is false and every
    // call fails with std::errc::bad_file_descriptor, a second close() too.
    void close();
    void close(std::error_code& ec) noexcept;

    native_handle_type native_handle() const noexcept;
    OwnedHandle release() noexcept;

    struct Impl;

private:
    explicit LocalSeqpacketListener(std::unique_ptr<Impl> impl) noexcept;
    friend struct detail::CompletionPortAccess;
    std::unique_ptr<Impl> impl_;
};

} // namespace localsock
