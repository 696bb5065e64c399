// localsock: connectionless local datagram sockets (SOCK_DGRAM, POSIX).
// Windows has no local datagram transport: every operation there fails with
// std::errc::not_supported.
#pragma once

#include <localsock/ancillary.hpp>
#include <localsock/buffer.hpp>
#include <localsock/config.hpp>
#include <localsock/handle.hpp>
#include <localsock/message.hpp>
#include <localsock/name.hpp>
#include <localsock/stream.hpp>

#include <chrono>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <system_error>
#include <utility>
#include <vector>

namespace localsock {

struct DatagramOptions {
    // Filesystem names: the socket file's permissions (as ListenerOptions::mode),
    // exact from the moment the file appears. Namespaced names have no
    // permissions: setting a mode for one is std::errc::invalid_argument.
    std::optional<std::filesystem::perms> mode = std::nullopt;
    // Filesystem names: replace a socket file nobody is bound to any more (a
    // crashed process's), as ListenerOptions::reclaim_stale does.
    bool reclaim_stale = false;
    // Whether received datagrams may carry handles.
    bool handle_passing = true;
};

// A datagram socket: each send is one datagram, delivered whole or not at
// all, with the handles it carried. Local datagrams are reliable and ordered
// per sender; a full receiver makes senders wait (or would_block). Datagram
// sockets have no end of stream: a receive of bytes == 0 is an empty
// datagram (which any sender may send).
//
// Threads: one thread reading (receive, receive_from, next_message_size) and
// one thread writing (send, send_to) at the same time is fine. Concurrent
// readers, or concurrent writers, must serialise: localsock takes no lock.
// Everything else (settings, connect, close, release, moving, destruction)
// needs the object to itself. Different objects are independent.
class LOCALSOCK_API LocalDatagram {
public:
    // Bound to a name others can send to. A filesystem-bound socket removes
    // its socket file when it closes (if the path still refers to it).
    static LocalDatagram bind(const LocalSocketName& name, const DatagramOptions& options = {});
    static LocalDatagram bind(const LocalSocketName& name, std::error_code& ec) noexcept;
    static LocalDatagram bind(const LocalSocketName& name, const DatagramOptions& options,
                              std::error_code& ec) noexcept;
    // Not bound: it can send, but receivers see no sender name to answer.
    static LocalDatagram unbound();
    static LocalDatagram unbound(std::error_code& ec) noexcept;
    // Linux autobind: the kernel picks a unique namespaced name (local_name()).
    static LocalDatagram autobind();
    static LocalDatagram autobind(std::error_code& ec) noexcept;
    // Two sockets connected to each other.
    static std::pair<LocalDatagram, LocalDatagram> pair();
    static std::pair<LocalDatagram, LocalDatagram> pair(std::error_code& ec) noexcept;
    // Takes over a SOCK_DGRAM local socket; it becomes close-on-exec.
    static LocalDatagram adopt(OwnedHandle handle);
    static LocalDatagram adopt(OwnedHandle handle, std::error_code& ec) noexcept;

    LocalDatagram() noexcept;
    LocalDatagram(LocalDatagram&&) noexcept;
    LocalDatagram& operator=(LocalDatagram&&) noexcept;
    ~LocalDatagram();

    bool is_open() const noexcept;
    explicit operator bool() const noexcept { return is_open(); }
    // The bound name (the kernel's choice after autobind); empty if unbound.
    const LocalSocketName& local_name() const noexcept;

    // Connected mode: send() goes to `peer` and only its datagrams arrive.
    void connect(const LocalSocketName& peer);
    void connect(const LocalSocketName& peer, std::error_code& ec) noexcept;
    const LocalSocketName& peer_name() const noexcept;

    // --- addressed ------------------------------------------------------------
    void send_to(const LocalSocketName& to, ConstBuffer datagram, std::span<const BorrowedHandle> handles = {});
    void send_to(const LocalSocketName& to, ConstBuffer datagram, std::span<const BorrowedHandle> handles,
                 std::error_code& ec) noexcept;
    void send_to(const LocalSocketName& to, ConstBuffer datagram, std::error_code& ec) noexcept;
    void send_to(const LocalSocketName& to, ConstBuffer datagram, std::initializer_list<BorrowedHandle> handles);
    void send_to(const LocalSocketName& to, ConstBuffer datagram, std::initializer_list<BorrowedHandle> handles,
                 std::error_code& ec) noexcept;
    void send_to(const LocalSocketName& to, std::span<const ConstBuffer> parts,
                 std::span<const BorrowedHandle> handles = {});
    void send_to(const LocalSocketName& to, std::span<const ConstBuffer> parts,
                 std::span<const BorrowedHandle> handles, std::error_code& ec) noexcept;
    void send_to(const LocalSocketName& to, ConstBuffer datagram, const ancillary::Builder& control);
    void send_to(const LocalSocketName& to, ConstBuffer datagram, const ancillary::Builder& control,
                 std::error_code& ec) noexcept;

    // The next datagram and its sender's name (empty for an unbound sender).
    ReceiveResult receive_from(MutableBuffer buffer, LocalSocketName& sender);
    ReceiveResult receive_from(MutableBuffer buffer, LocalSocketName& sender, std::error_code& ec) noexcept;
    ReceiveResult receive_from(MutableBuffer buffer, LocalSocketName& sender, std::vector<OwnedHandle>& handles);
    ReceiveResult receive_from(MutableBuffer buffer, LocalSocketName& sender, std::vector<OwnedHandle>& handles,
                               std::error_code& ec) noexcept;
    ReceiveResult receive_from(MutableBuffer buffer, LocalSocketName& sender, ancillary::Received& control,
                               ReceiveFlags flags = ReceiveFlags::none);
    ReceiveResult receive_from(MutableBuffer buffer, LocalSocketName& sender, ancillary::Received& control,
                               ReceiveFlags flags, std::error_code& ec) noexcept;

    // --- connected (or any sender, for receive) --------------------------------
    void send(ConstBuffer datagram, std::span<const BorrowedHandle> handles = {});
    void send(ConstBuffer datagram, std::error_code& ec) noexcept;
    void send(ConstBuffer datagram, std::span<const BorrowedHandle> handles, std::error_code& ec) noexcept;
    void send(ConstBuffer datagram, std::initializer_list<BorrowedHandle> handles);
    void send(ConstBuffer datagram, std::initializer_list<BorrowedHandle> handles, std::error_code& ec) noexcept;
    void send(std::span<const ConstBuffer> parts, std::span<const BorrowedHandle> handles = {});
    void send(std::span<const ConstBuffer> parts, std::span<const BorrowedHandle> handles,
              std::error_code& ec) noexcept;
    void send(ConstBuffer datagram, const ancillary::Builder& control);
    void send(ConstBuffer datagram, const ancillary::Builder& control, std::error_code& ec) noexcept;

    ReceiveResult receive(MutableBuffer buffer);
    ReceiveResult receive(MutableBuffer buffer, std::error_code& ec) noexcept;
    ReceiveResult receive(MutableBuffer buffer, std::vector<OwnedHandle>& handles);
    ReceiveResult receive(MutableBuffer buffer, std::vector<OwnedHandle>& handles, std::error_code& ec) noexcept;
    ReceiveResult receive(std::span<const MutableBuffer> parts, std::vector<OwnedHandle>& handles);
    ReceiveResult receive(std::span<const MutableBuffer> parts, std::vector<OwnedHandle>& handles,
                          std::error_code& ec) noexcept;
    ReceiveResult receive(MutableBuffer buffer, ancillary::Received& control, ReceiveFlags flags = ReceiveFlags::none);
    ReceiveResult receive(MutableBuffer buffer, ancillary::Received& control, ReceiveFlags flags,
                          std::error_code& ec) noexcept;

    // The size of the next datagram without taking it, waiting for one
    // (Linux; not_supported where the kernel cannot tell).
    std::size_t next_message_size();
    std::size_t next_message_size(std::error_code& ec) noexcept;

    std::size_t max_handles_per_receive() const noexcept;
    void set_max_handles_per_receive(std::size_t limit);
    void set_max_handles_per_receive(std::size_t limit, std::error_code& ec) noexcept;

    // --- control --------------------------------------------------------------
    void set_read_timeout(std::chrono::milliseconds timeout);
    void set_read_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept;
    void set_write_timeout(std::chrono::milliseconds timeout);
    void set_write_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept;
    void set_nonblocking(bool nonblocking);
    void set_nonblocking(bool nonblocking, std::error_code& ec) noexcept;
    // Linux: each datagram carries its sender's credentials (SO_PASSCRED).
    void set_receive_credentials(bool enabled);
    void set_receive_credentials(bool enabled, std::error_code& ec) noexcept;
    // Each datagram carries its arrival time (SO_TIMESTAMPNS where the
    // platform has it, SO_TIMESTAMP otherwise): ancillary::Received::timestamp().
    void set_receive_timestamps(bool enabled);
    void set_receive_timestamps(bool enabled, std::error_code& ec) noexcept;

    // Ends the socket now, as destruction would (removing a socket file it
    // created), and reports what closing reported (an error is reported, the
    // socket is closed all the same; a close interrupted by a signal is not
    // retried: the descriptor is gone).
    // Afterwards is_open() is false and every call fails with
    // std::errc::bad_file_descriptor, a second close() too.
    void close();
    void close(std::error_code& ec) noexcept;

    native_handle_type native_handle() const noexcept;
    // Gives up the socket (a socket file it created then stays).
    OwnedHandle release() noexcept;

    struct Impl;

private:
    explicit LocalDatagram(std::unique_ptr<Impl> impl) noexcept;
    std::unique_ptr<Impl> impl_;
};

} // namespace localsock
