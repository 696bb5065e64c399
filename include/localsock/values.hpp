// localsock: whole values as messages — values sent as their bytes (wire
// values, below), and a codec hook for any other serialisation — over the
// message sockets (LocalSeqpacket, connected LocalDatagram). Header-only: it
// is built on their public send()/receive().
#pragma once

#include <localsock/error.hpp>
#include <localsock/handle.hpp>
#include <localsock/message.hpp>
#include <localsock/name.hpp>

#include <concepts>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

namespace localsock {

// A value whose bytes can be copied. Pointers are refused as well: an
// address means nothing in the other process. Necessary, not sufficient, for
// send_value/receive_value: see WireValue.
template <class T>
concept TriviallyCopyableValue =
    std::is_trivially_copyable_v<T> && !std::is_pointer_v<T> && !std::is_member_pointer_v<T>;

// --- wire values: the types that travel as their bytes ------------------------
//
// Sending an object's bytes must not send anything but the value: padding
// bytes hold whatever the sender's stack or heap held before (a struct
// { std::uint32_t id; double amount; } carries 4 bytes of it). Receiving bytes
// into an object must not create a value the type cannot hold: a bool byte
// other than 0 or 1, an enum outside its range, a struct whose members break
// its invariants are undefined behaviour or worse. A C++20 library cannot see
// a struct's members, so the rule is:
//
//  - accepted as they are: integers and character types, std::byte, float
//    and double (IEEE 754: every bit pattern is a value), and arrays of them;
//  - bool (and arrays of bool): accepted, and receive_value checks each byte
//    is 0 or 1 (errc::protocol_error otherwise);
//  - enums and classes: only with an opt-in, a specialisation of wire_safe:
//
//      // The members' types in order: localsock checks they add up to
//      // sizeof (so there is no padding), that each is a wire value itself,
//      // and checks the bool members of a received value.
//      template <> struct localsock::wire_safe<Request>
//          : localsock::wire_fields<std::uint32_t, std::uint32_t, double> {};
//
//      // Or vouch for the whole type: it must have unique object
//      // representations (checked: no padding) and you assert that every
//      // byte pattern is a valid value, or give validate() to check one.
//      template <> struct localsock::wire_safe<Colour> : std::true_type {
//          static bool validate(std::span<const std::byte, sizeof(Colour)> bytes) noexcept;
//      };
//
// A value rejected by a check is never handed over: receive_value fails with
// errc::protocol_error, zeroes `value` and closes the message's handles.

// Specialise for an enum or class type (see above). The primary template
// says no.
template <class T>
struct wire_safe : std::false_type {};

// A wire_safe specialisation that lists T's members' types in order.
template <class... Fields>
struct wire_fields : std::true_type {};

namespace detail {

template <class T>
constexpr bool is_wire_number = (std::is_integral_v<T> && !std::is_same_v<T, bool>) || std::is_same_v<T, std::byte> ||
                                (std::is_floating_point_v<T> && std::numeric_limits<T>::is_iec559 &&
                                 (sizeof(T) == 4 || sizeof(T) == 8)); // not x87's long double: padded

template <class... Fields>
constexpr std::true_type as_field_list(const wire_fields<Fields...>*);
constexpr std::false_type as_field_list(const void*);
// Whether wire_safe<T> derives from wire_fields<...>.
template <class T>
constexpr bool lists_fields = decltype(as_field_list(static_cast<const wire_safe<T>*>(nullptr)))::value;

template <class T>
constexpr bool is_wire_value();

// The listed fields, laid end to end, must each sit at an offset their
// alignment allows and fill sizeof(T) exactly: then T has no padding, and a
// list that does not describe T is refused in most cases (not all: two
// fields of equal size and alignment listed in the wrong order pass).
template <class... Fields>
constexpr bool fields_fit(std::size_t size, const wire_fields<Fields...>*) {
    std::size_t offset = 0;
    bool aligned = true;
    ((aligned = aligned && offset % alignof(Fields) == 0, offset += sizeof(Fields)), ...);
    return (is_wire_value<Fields>() && ...) && aligned && offset == size;
}

template <class T>
constexpr bool is_wire_value() {
    using U = std::remove_cv_t<T>;
    if constexpr (std::is_array_v<U>)
        return std::extent_v<U> > 0 && is_wire_value<std::remove_extent_t<U>>();
    else if constexpr (!TriviallyCopyableValue<U> || std::is_reference_v<U> || std::is_union_v<U>)
        return false;
    else if constexpr (std::is_same_v<U, bool> || is_wire_number<U>)
        return true;
    else if constexpr (!std::is_enum_v<U> && !std::is_class_v<U>)
        return false;
    else if constexpr (!wire_safe<U>::value)
        return false; // no opt-in
    else if constexpr (lists_fields<U>)
        return fields_fit(sizeof(U), static_cast<const wire_safe<U>*>(nullptr));
    else
        return std::has_unique_object_representations_v<U>; // no padding
}

} // namespace detail

// A type send_value/receive_value accept (see above).
template <class T>
concept WireValue = detail::is_wire_value<T>();

namespace detail {

template <class T>
bool valid_wire_bytes(const std::byte* bytes) noexcept;

template <class... Fields>
bool valid_fields(const std::byte* bytes, const wire_fields<Fields...>*) noexcept {
    bool valid = true;
    std::size_t offset = 0;
    ((valid = valid && valid_wire_bytes<Fields>(bytes + offset), offset += sizeof(Fields)), ...);
    return valid;
}

// Whether the received bytes of a T are a value a T may hold.
template <class T>
bool valid_wire_bytes(const std::byte* bytes) noexcept {
    using U = std::remove_cv_t<T>;
    if constexpr (std::is_array_v<U>) {
        using Element = std::remove_extent_t<U>;
        for (std::size_t i = 0; i < std::extent_v<U>; ++i)
            if (!valid_wire_bytes<Element>(bytes + i * sizeof(Element)))
                return false;
        return true;
    } else if constexpr (std::is_same_v<U, bool>) {
        return std::to_integer<unsigned>(*bytes) <= 1;
    } else if constexpr (is_wire_number<U>) {
        return true;
    } else if constexpr (lists_fields<U>) {
        return valid_fields(bytes, static_cast<const wire_safe<U>*>(nullptr));
    } else if constexpr (requires { wire_safe<U>::validate(std::span<const std::byte, sizeof(U)>(bytes, sizeof(U))); }) {
        return wire_safe<U>::validate(std::span<const std::byte, sizeof(U)>(bytes, sizeof(U)));
    } else {
        return true; // vouched for by the opt-in
    }
}

// Whether received bytes of a T need looking at at all (a bool inside, a
// validate()): plain numbers do not, and cost nothing.
template <class T>
constexpr bool needs_validation() {
    using U = std::remove_cv_t<T>;
    if constexpr (std::is_array_v<U>)
        return needs_validation<std::remove_extent_t<U>>();
    else if constexpr (std::is_same_v<U, bool>)
        return true;
    else if constexpr (is_wire_number<U>)
        return false;
    else
        return true; // opted in: fields or validate() to look at
}

} // namespace detail

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
// A received message must be exactly what the reader expects, and a value
// the type can hold; a rejected value is zeroed (all-zero bytes are a valid
// bool, number and enum) so that no invalid representation stays behind.
template <class T>
void check_wire_value(T& value, std::error_code& ec) noexcept {
    if constexpr (needs_validation<T>()) {
        if (!ec && !valid_wire_bytes<T>(reinterpret_cast<const std::byte*>(&value))) {
            ec = errc::protocol_error;
            std::memset(static_cast<void*>(&value), 0, sizeof value);
        }
    }
}
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
    if constexpr (requires { socket.name(); })
        throw_operation_error(ec, operation, socket.name());
    else
        throw_operation_error(ec, operation, socket.local_name());
}
} // namespace detail

// --- trivially copyable values --------------------------------------------------

template <WireValue T, MessageSocket Socket>
void send_value(Socket& socket, const T& value, std::span<const BorrowedHandle> handles,
                std::error_code& ec) noexcept {
    socket.send(ConstBuffer(&value, sizeof value), handles, ec);
}

template <WireValue T, MessageSocket Socket>
void send_value(Socket& socket, const T& value, std::span<const BorrowedHandle> handles = {}) {
    std::error_code ec;
    send_value(socket, value, handles, ec);
    if (ec)
        detail::throw_value_error(ec, "send_value", socket);
}

template <WireValue T, MessageSocket Socket>
void send_value(Socket& socket, const T& value, std::initializer_list<BorrowedHandle> handles) {
    send_value(socket, value, std::span<const BorrowedHandle>(handles.begin(), handles.size()));
}

// Receives one message that must be exactly sizeof(T) bytes (else
// std::errc::message_size; errc::end_of_stream if the peer closed) holding a
// value T can hold (else errc::protocol_error, `value` zeroed). `value` is
// written only by the receive itself; the handles of a rejected message are
// closed, not appended.
template <WireValue T, MessageSocket Socket>
void receive_value(Socket& socket, T& value, std::vector<OwnedHandle>& handles, std::error_code& ec) noexcept {
    const std::size_t had = handles.size();
    const ReceiveResult result = socket.receive(MutableBuffer(&value, sizeof value), handles, ec);
    detail::check_whole_message(result, sizeof value, ec);
    detail::check_wire_value(value, ec);
    if (ec)
        handles.resize(had);
}

template <WireValue T, MessageSocket Socket>
void receive_value(Socket& socket, T& value, std::vector<OwnedHandle>& handles) {
    std::error_code ec;
    receive_value(socket, value, handles, ec);
    if (ec)
        detail::throw_value_error(ec, "receive_value", socket);
}

// The value alone; a message carrying handles is an error (they are closed).
template <WireValue T, MessageSocket Socket>
T receive_value(Socket& socket, std::error_code& ec) noexcept {
    T value{};
    const ReceiveResult result = socket.receive(MutableBuffer(&value, sizeof value), ec);
    detail::check_whole_message(result, sizeof value, ec);
    detail::check_wire_value(value, ec);
    return value;
}

template <WireValue T, MessageSocket Socket>
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
