// localsock: whole values as messages — trivially copyable structs sent as
// their bytes, and a codec hook for any other serialisation — over the
// message sockets (LocalSeqpacket, connected LocalDatagram). Header-only: it
// is built on their public send()/receive().
#pragma once

#include <localsock/error.hpp>
#include <localsock/handle.hpp>
#include <localsock/message.hpp>
#include <localsock/name.hpp>

#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

namespace localsock {

// A value whose bytes are the whole of it. Pointers are refused as well: an
// address means nothing in the other process.
template <class T>
concept TriviallyCopyableValue =
    std::is_trivially_copyable_v<T> && !std::is_pointer_v<T> && !std::is_member_pointer_v<T>;

// Anything with message-socket send/receive: LocalSeqpacket, LocalDatagram.
template <class Socket>
concept MessageSocket = requires(Socket& socket, ConstBuffer out, MutableBuffer in,
                                 std::span<const BorrowedHandle> lent, std::vector<OwnedHandle>& received,
                                 std::error_code& ec) {
    socket.send(out, lent, ec);
    { socket.receive(in, received, ec) } -> std::same_as<ReceiveResult>;
};

// A user's serialisation. encode() returns the bytes of one message (in
// storage the codec owns, so it can reuse it without allocating);
// receive_buffer() is where a message is received (its size is the largest
// message accepted); decode() parses the bytes received, false if malformed.
template <class Codec, class T>
concept MessageCodec = requires(Codec& codec, const T& value, T& out, std::span<const std::byte> received) {
    { codec.encode(value) } -> std::convertible_to<std::span<const std::byte>>;
    { codec.receive_buffer() } -> std::convertible_to<std::span<std::byte>>;
    { codec.decode(received, out) } -> std::convertible_to<bool>;
};

namespace detail {
// A received message must be exactly what the reader expects.
inline void check_whole_message(const ReceiveResult& result, std::size_t expected, std::error_code& ec) noexcept {
    if (ec)
        return;
    if (result.bytes == 0 && expected != 0)
        ec = errc::end_of_stream;
    else if (result.data_truncated || result.bytes != expected)
        ec = std::make_error_code(std::errc::message_size);
}
// The exception of a throwing form, naming the operation and the socket
// like the library's own: "localsock: receive_value '@bus': ...".
template <class Socket>
[[noreturn]] void throw_value_error(std::error_code ec, const char* operation, const Socket& socket) {
    const LocalSocketName* name;
    if constexpr (requires { socket.name(); })
        name = &socket.name();
    else
        name = &socket.local_name();
    std::string what = std::string("localsock: ") + operation;
    if (!name->empty())
        what += " '" + name->to_string() + "'";
    throw std::system_error(ec, what);
}
} // namespace detail

// --- trivially copyable values --------------------------------------------------

template <TriviallyCopyableValue T, MessageSocket Socket>
void send_value(Socket& socket, const T& value, std::span<const BorrowedHandle> handles,
                std::error_code& ec) noexcept {
    socket.send(ConstBuffer(&value, sizeof value), handles, ec);
}

template <TriviallyCopyableValue T, MessageSocket Socket>
void send_value(Socket& socket, const T& value, std::span<const BorrowedHandle> handles = {}) {
    std::error_code ec;
    send_value(socket, value, handles, ec);
    if (ec)
        detail::throw_value_error(ec, "send_value", socket);
}

template <TriviallyCopyableValue T, MessageSocket Socket>
void send_value(Socket& socket, const T& value, std::initializer_list<BorrowedHandle> handles) {
    send_value(socket, value, std::span<const BorrowedHandle>(handles.begin(), handles.size()));
}

// Receives one message that must be exactly sizeof(T) bytes (else
// std::errc::message_size; errc::end_of_stream if the peer closed). `value`
// is written only by the receive itself; the handles of a rejected message
// are closed, not appended.
template <TriviallyCopyableValue T, MessageSocket Socket>
void receive_value(Socket& socket, T& value, std::vector<OwnedHandle>& handles, std::error_code& ec) noexcept {
    const std::size_t had = handles.size();
    const ReceiveResult result = socket.receive(MutableBuffer(&value, sizeof value), handles, ec);
    detail::check_whole_message(result, sizeof value, ec);
    if (ec)
        handles.resize(had);
}

template <TriviallyCopyableValue T, MessageSocket Socket>
void receive_value(Socket& socket, T& value, std::vector<OwnedHandle>& handles) {
    std::error_code ec;
    receive_value(socket, value, handles, ec);
    if (ec)
        detail::throw_value_error(ec, "receive_value", socket);
}

// The value alone; a message carrying handles is an error (they are closed).
template <TriviallyCopyableValue T, MessageSocket Socket>
T receive_value(Socket& socket, std::error_code& ec) noexcept {
    T value{};
    const ReceiveResult result = socket.receive(MutableBuffer(&value, sizeof value), ec);
    detail::check_whole_message(result, sizeof value, ec);
    return value;
}

template <TriviallyCopyableValue T, MessageSocket Socket>
T receive_value(Socket& socket) {
    std::error_code ec;
    const T value = receive_value<T>(socket, ec);
    if (ec)
        detail::throw_value_error(ec, "receive_value", socket);
    return value;
}

// --- codecs -----------------------------------------------------------------------

template <class T, MessageCodec<T> Codec, MessageSocket Socket>
void send_encoded(Socket& socket, Codec& codec, const T& value, std::span<const BorrowedHandle> handles,
                  std::error_code& ec) noexcept {
    const std::span<const std::byte> bytes = codec.encode(value);
    socket.send(ConstBuffer(bytes.data(), bytes.size()), handles, ec);
}

template <class T, MessageCodec<T> Codec, MessageSocket Socket>
void send_encoded(Socket& socket, Codec& codec, const T& value, std::span<const BorrowedHandle> handles = {}) {
    std::error_code ec;
    send_encoded(socket, codec, value, handles, ec);
    if (ec)
        detail::throw_value_error(ec, "send_encoded", socket);
}

template <class T, MessageCodec<T> Codec, MessageSocket Socket>
void send_encoded(Socket& socket, Codec& codec, const T& value, std::initializer_list<BorrowedHandle> handles) {
    send_encoded(socket, codec, value, std::span<const BorrowedHandle>(handles.begin(), handles.size()));
}

// Receives one message into the codec's buffer and decodes it: a message
// longer than that buffer is std::errc::message_size, one the codec rejects
// errc::protocol_error (handles that came with either are closed).
template <class T, MessageCodec<T> Codec, MessageSocket Socket>
void receive_decoded(Socket& socket, Codec& codec, T& value, std::vector<OwnedHandle>& handles,
                     std::error_code& ec) noexcept {
    const std::span<std::byte> space = codec.receive_buffer();
    const std::size_t had = handles.size();
    const ReceiveResult result = socket.receive(MutableBuffer(space.data(), space.size()), handles, ec);
    if (!ec && result.bytes == 0)
        ec = errc::end_of_stream;
    else if (!ec && result.data_truncated)
        ec = std::make_error_code(std::errc::message_size);
    else if (!ec && !codec.decode(std::span<const std::byte>(space.data(), result.bytes), value))
        ec = errc::protocol_error;
    if (ec)
        handles.resize(had); // closes what this message brought
}

template <class T, MessageCodec<T> Codec, MessageSocket Socket>
void receive_decoded(Socket& socket, Codec& codec, T& value, std::vector<OwnedHandle>& handles) {
    std::error_code ec;
    receive_decoded(socket, codec, value, handles, ec);
    if (ec)
        detail::throw_value_error(ec, "receive_decoded", socket);
}

} // namespace localsock
