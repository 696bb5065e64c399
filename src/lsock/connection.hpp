// lsock: one connected socket of any of the three types, behind the few
// operations the sessions and the relay need. The calls go straight to the
// library's error-code forms: nothing is copied or allocated per message.
#pragma once

#include "arguments.hpp"

#include <localsock/datagram.hpp>
#include <localsock/listener.hpp>
#include <localsock/seqpacket.hpp>
#include <localsock/stream.hpp>

#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

namespace lsock {

// An error to report with exit status 1: "lsock: OPERATION 'NAME': REASON".
class Failure : public std::runtime_error {
public:
    Failure(std::error_code ec, std::string_view operation, std::string_view name = {});
    explicit Failure(const std::string& message) : std::runtime_error(message) {}
};
[[noreturn]] void fail(std::error_code ec, std::string_view operation, std::string_view name = {});

// Threads: as the library's sockets: one thread receiving and one sending
// (with shutdown_write) at a time; everything else needs it to itself.
class Connection {
public:
    Connection() = default;
    explicit Connection(localsock::LocalStream stream) : socket_(std::move(stream)) {}
    explicit Connection(localsock::LocalSeqpacket seqpacket) : socket_(std::move(seqpacket)) {}
    explicit Connection(localsock::LocalDatagram datagram) : socket_(std::move(datagram)) {}

    // Connects to `name` (a datagram socket is bound where the platform can
    // pick a name, so that the server can answer). Throws Failure.
    static Connection connect(SocketType type, const localsock::LocalSocketName& name);

    struct Received {
        std::size_t bytes = 0;
        bool end = false; // the peer closed (stream, seqpacket)
    };
    // The next chunk (stream), message or datagram, its handles appended to
    // `handles`. An empty message (a foreign peer's) is skipped; an empty
    // datagram is delivered (it may carry handles). A datagram's sender is
    // kept so that sends can answer it.
    Received receive(std::span<std::byte> buffer, std::vector<localsock::OwnedHandle>& handles,
                     std::error_code& ec) noexcept;
    // All of `bytes` (one message for seqpacket and datagram) with `handles`
    // on the first byte. Returns the bytes sent: the handles went out if it
    // is not zero.
    std::size_t send(std::span<const std::byte> bytes, std::span<const localsock::BorrowedHandle> handles,
                     std::error_code& ec) noexcept;
    // The peer reads its end of stream (stream, seqpacket; datagram: nothing).
    void shutdown_write(std::error_code& ec) noexcept;

    SocketType type() const noexcept { return static_cast<SocketType>(socket_.index() - 1); }
    bool is_open() const noexcept { return socket_.index() != 0; }
    // For messages: the peer's name, else the label, else "".
    std::string name() const;
    // What to call a socket without a name in messages ("pair with 'cmd'").
    void set_label(std::string label) { label_ = std::move(label); }
    // Datagrams: where answers go (the connected peer, or the last sender with a name).
    bool has_reply_address() const noexcept;
    localsock::PeerCredentials peer_credentials(std::error_code& ec) const noexcept;

    localsock::LocalStream* stream() noexcept { return std::get_if<localsock::LocalStream>(&socket_); }
    localsock::LocalDatagram* datagram() noexcept { return std::get_if<localsock::LocalDatagram>(&socket_); }
    localsock::OwnedHandle release() noexcept;

private:
    std::variant<std::monostate, localsock::LocalStream, localsock::LocalSeqpacket, localsock::LocalDatagram> socket_;
    // Datagrams: the last sender with a name, written by the receiving
    // thread and read by the sending one.
    struct ReplyAddress {
        std::mutex mutex;
        localsock::LocalSocketName name;
    };
    std::unique_ptr<ReplyAddress> reply_ = std::make_unique<ReplyAddress>();
    std::string label_;
};

// A listening socket of any type; accept() hands out Connections. A
// datagram "listener" is the bound socket itself, handed out once.
// Threads: one at a time.
class Listener {
public:
    static Listener bind(SocketType type, const localsock::LocalSocketName& name,
                         const std::optional<std::filesystem::perms>& mode);
    Connection accept();
    std::string name() const;
    void close() noexcept;

private:
    std::variant<std::monostate, localsock::LocalListener, localsock::LocalSeqpacketListener,
                 localsock::LocalDatagram>
        socket_;
};

// NAME as the command line gave it: a usage error (exit 2) if malformed.
localsock::LocalSocketName parse_name(const std::string& text);

} // namespace lsock
