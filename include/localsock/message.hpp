// localsock: what a message receive reports, shared by every message socket.
#pragma once

#include <cstddef>

namespace localsock {

// The outcome of receiving one message (LocalSeqpacket, LocalDatagram, and
// the ancillary receive of LocalStream). Data truncation and control
// truncation are told apart:
//  - data_truncated: the message was longer than the caller's buffers. The
//    buffers hold its first `bytes` bytes; the kernel discarded the rest.
//    `message_size` is its full size (Linux, Windows; where the platform
//    cannot tell, it equals `bytes`). Not an error: the caller asked for
//    that many bytes. next_message_size() tells the size before receiving.
//  - control_truncated: handles or other control data did not fit (or more
//    handles came than the receiver accepts, or the receiving process ran
//    out of descriptors). Every handle that came was closed; the data was
//    delivered. This one is also an error (errc::handles_truncated /
//    errc::control_truncated, or errc::out_of_handles for the last case).
struct [[nodiscard]] ReceiveResult {
    std::size_t bytes = 0;
    std::size_t message_size = 0;
    bool data_truncated = false;
    bool control_truncated = false;
};

// Modifiers of a receive.
enum class ReceiveFlags : unsigned {
    none = 0,
    // Look at the next message without taking it: the next receive gets it
    // again. Handles that come with a peeked message are fresh descriptors
    // of their own (the kernel installs them on every peek) and are owned
    // like any other.
    peek = 1u << 0,
};

constexpr ReceiveFlags operator|(ReceiveFlags a, ReceiveFlags b) noexcept {
    return static_cast<ReceiveFlags>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
constexpr bool has_flag(ReceiveFlags set, ReceiveFlags flag) noexcept {
    return (static_cast<unsigned>(set) & static_cast<unsigned>(flag)) != 0;
}

} // namespace localsock
