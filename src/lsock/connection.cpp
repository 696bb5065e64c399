#include "connection.hpp"

#include <localsock/error.hpp>

#include <fmt/format.h>

namespace lsock {

using localsock::BorrowedHandle;
using localsock::LocalSocketName;
using localsock::OwnedHandle;

Failure::Failure(std::error_code ec, std::string_view operation, std::string_view name)
    : std::runtime_error(name.empty()
                             ? fmt::format("lsock: {}: {}", operation, localsock::error_message(ec))
                             : fmt::format("lsock: {} '{}': {}", operation, name, localsock::error_message(ec))) {}

void fail(std::error_code ec, std::string_view operation, std::string_view name) {
    throw Failure(ec, operation, name);
}

LocalSocketName parse_name(const std::string& text) {
    std::error_code ec;
    LocalSocketName name = LocalSocketName::parse(text, ec);
    if (ec)
        throw UsageError(fmt::format("NAME '{}': {}", text, localsock::error_message(ec)));
    return name;
}

Connection Connection::connect(SocketType type, const LocalSocketName& name) {
    std::error_code ec;
    Connection connection;
    switch (type) {
    case SocketType::stream:
        connection = Connection(localsock::LocalStream::connect(name, localsock::ConnectOptions{}, ec));
        break;
    case SocketType::seqpacket:
        connection = Connection(localsock::LocalSeqpacket::connect(name, localsock::ConnectOptions{}, ec));
        break;
    case SocketType::datagram: {
        // A name the server can answer to where the kernel picks one (Linux);
        // elsewhere the datagrams go one way.
        localsock::LocalDatagram datagram = localsock::LocalDatagram::autobind(ec);
        if (ec == std::errc::not_supported)
            datagram = localsock::LocalDatagram::unbound(ec);
        if (!ec)
            datagram.connect(name, ec);
        connection = Connection(std::move(datagram));
        break;
    }
    }
    if (ec)
        fail(ec, "connect", name.to_string());
    return connection;
}

Connection::Received Connection::receive(std::span<std::byte> buffer, std::vector<OwnedHandle>& handles,
                                         std::error_code& ec) noexcept {
    ec.clear();
    if (auto* stream = std::get_if<localsock::LocalStream>(&socket_)) {
        const std::size_t bytes = stream->receive(buffer, handles, ec);
        return {bytes, bytes == 0 && !ec};
    }
    if (auto* seqpacket = std::get_if<localsock::LocalSeqpacket>(&socket_)) {
        for (;;) {
            const localsock::ReceiveResult result = seqpacket->receive(buffer, handles, ec);
            if (ec == localsock::errc::empty_message)
                continue; // consumed (its handles closed); nothing to pass on
            if (!ec && result.data_truncated)
                ec = std::make_error_code(std::errc::message_size);
            return {result.bytes, result.bytes == 0 && !ec};
        }
    }
    if (auto* datagram = std::get_if<localsock::LocalDatagram>(&socket_)) {
        LocalSocketName sender;
        const localsock::ReceiveResult result = datagram->receive_from(buffer, sender, handles, ec);
        if (!ec && result.data_truncated)
            ec = std::make_error_code(std::errc::message_size);
        if (!sender.empty()) {
            const std::lock_guard lock(reply_->mutex);
            if (!(reply_->name == sender))
                reply_->name = std::move(sender);
        }
        return {result.bytes, false};
    }
    ec = std::make_error_code(std::errc::bad_file_descriptor);
    return {0, false};
}

std::size_t Connection::send(std::span<const std::byte> bytes, std::span<const BorrowedHandle> handles,
                             std::error_code& ec) noexcept {
    ec.clear();
    if (auto* stream = std::get_if<localsock::LocalStream>(&socket_))
        return handles.empty() ? stream->write_all(bytes, ec) : stream->send(bytes, handles, ec);
    if (auto* seqpacket = std::get_if<localsock::LocalSeqpacket>(&socket_)) {
        seqpacket->send(bytes, handles, ec);
        return ec ? 0 : bytes.size();
    }
    if (auto* datagram = std::get_if<localsock::LocalDatagram>(&socket_)) {
        if (!datagram->peer_name().empty()) {
            datagram->send(bytes, handles, ec);
        } else {
            // A listener answers its last sender (a copy: the receiving
            // thread may replace it meanwhile).
            LocalSocketName to;
            {
                const std::lock_guard lock(reply_->mutex);
                to = reply_->name;
            }
            if (to.empty())
                ec = std::make_error_code(std::errc::destination_address_required);
            else
                datagram->send_to(to, bytes, handles, ec);
        }
        return ec ? 0 : bytes.size();
    }
    ec = std::make_error_code(std::errc::bad_file_descriptor);
    return 0;
}

void Connection::shutdown_write(std::error_code& ec) noexcept {
    ec.clear();
    if (auto* stream = std::get_if<localsock::LocalStream>(&socket_))
        stream->shutdown(localsock::Shutdown::write, ec);
    else if (auto* seqpacket = std::get_if<localsock::LocalSeqpacket>(&socket_))
        seqpacket->shutdown(localsock::Shutdown::write, ec);
}

std::string Connection::name() const {
    std::string name = std::visit(
        [](const auto& socket) -> std::string {
            using Socket = std::decay_t<decltype(socket)>;
            if constexpr (std::is_same_v<Socket, std::monostate>)
                return {};
            else if constexpr (std::is_same_v<Socket, localsock::LocalDatagram>)
                return !socket.peer_name().empty() ? socket.peer_name().to_string() : socket.local_name().to_string();
            else
                return socket.name().to_string();
        },
        socket_);
    return name.empty() ? label_ : name;
}

bool Connection::has_reply_address() const noexcept {
    const auto* datagram = std::get_if<localsock::LocalDatagram>(&socket_);
    if (datagram == nullptr)
        return true;
    if (!datagram->peer_name().empty())
        return true;
    const std::lock_guard lock(reply_->mutex);
    return !reply_->name.empty();
}

localsock::PeerCredentials Connection::peer_credentials(std::error_code& ec) const noexcept {
    if (const auto* stream = std::get_if<localsock::LocalStream>(&socket_))
        return stream->peer_credentials(ec);
    if (const auto* seqpacket = std::get_if<localsock::LocalSeqpacket>(&socket_))
        return seqpacket->peer_credentials(ec);
    ec = std::make_error_code(std::errc::not_supported);
    return {};
}

OwnedHandle Connection::release() noexcept {
    return std::visit(
        [](auto& socket) -> OwnedHandle {
            if constexpr (std::is_same_v<std::decay_t<decltype(socket)>, std::monostate>)
                return {};
            else
                return socket.release();
        },
        socket_);
}

Listener Listener::bind(SocketType type, const LocalSocketName& name,
                        const std::optional<std::filesystem::perms>& mode) {
    std::error_code ec;
    Listener listener;
    localsock::ListenerOptions options;
    options.mode = mode;
    switch (type) {
    case SocketType::stream: listener.socket_ = localsock::LocalListener::bind(name, options, ec); break;
    case SocketType::seqpacket: listener.socket_ = localsock::LocalSeqpacketListener::bind(name, options, ec); break;
    case SocketType::datagram: {
        localsock::DatagramOptions datagram_options;
        datagram_options.mode = mode;
        listener.socket_ = localsock::LocalDatagram::bind(name, datagram_options, ec);
        break;
    }
    }
    if (ec)
        fail(ec, "listen on", name.to_string());
    return listener;
}

Connection Listener::accept() {
    std::error_code ec;
    Connection connection;
    if (auto* stream = std::get_if<localsock::LocalListener>(&socket_))
        connection = Connection(stream->accept(ec));
    else if (auto* seqpacket = std::get_if<localsock::LocalSeqpacketListener>(&socket_))
        connection = Connection(seqpacket->accept(ec));
    else if (auto* datagram = std::get_if<localsock::LocalDatagram>(&socket_))
        connection = Connection(std::exchange(*datagram, {}));
    else
        ec = std::make_error_code(std::errc::bad_file_descriptor);
    if (ec)
        fail(ec, "accept on", name());
    return connection;
}

std::string Listener::name() const {
    return std::visit(
        [](const auto& socket) -> std::string {
            if constexpr (std::is_same_v<std::decay_t<decltype(socket)>, std::monostate>)
                return {};
            else
                return socket.local_name().to_string();
        },
        socket_);
}

void Listener::close() noexcept { socket_ = std::monostate{}; }

} // namespace lsock
