// Private: one message out, one message in — the sendmsg/recvmsg core of
// LocalSeqpacket, LocalDatagram and the ancillary forms of LocalStream.
#pragma once

#include "address.hpp"
#include "socket_core.hpp"

#include <localsock/ancillary.hpp>
#include <localsock/buffer.hpp>
#include <localsock/message.hpp>

#include <span>
#include <system_error>
#include <vector>

namespace localsock::posix {

// What kind of socket a message goes through: message sockets (seqpacket,
// datagram) keep boundaries and can report a message's full size; a
// seqpacket message must not be empty (a 0-byte receive means end; an empty
// message a foreign peer sends anyway is reported as errc::empty_message).
enum class Boundaries { stream, datagram, seqpacket };

// Where a message goes: nullptr for a connected socket.
using Destination = const SocketAddress*;

// Sends the gathered `parts` as one message with `handles` (SCM_RIGHTS) or
// with `control`. Returns the bytes sent (streams may send fewer). Handle is
// BorrowedHandle or OwnedHandle: either list is read as it is, not copied.
template <class Handle>
std::size_t send_message(SocketCore* core, Boundaries kind, std::span<const ConstBuffer> parts, Destination to,
                         std::span<const Handle> handles, std::error_code& ec) noexcept;
extern template std::size_t send_message<BorrowedHandle>(SocketCore*, Boundaries, std::span<const ConstBuffer>,
                                                         Destination, std::span<const BorrowedHandle>,
                                                         std::error_code&) noexcept;
extern template std::size_t send_message<OwnedHandle>(SocketCore*, Boundaries, std::span<const ConstBuffer>,
                                                      Destination, std::span<const OwnedHandle>,
                                                      std::error_code&) noexcept;
std::size_t send_message(SocketCore* core, Boundaries kind, std::span<const ConstBuffer> parts, Destination to,
                         const ancillary::Builder& control, std::error_code& ec) noexcept;

// Receives one message into `parts`. Handles are appended to *handles, or,
// with handles == nullptr, refused (closed, reported as control truncation).
// `from`, if given, receives the sender's address.
ReceiveResult receive_message(SocketCore* core, Boundaries kind, std::span<const MutableBuffer> parts,
                              std::vector<OwnedHandle>* handles, SocketAddress* from, std::error_code& ec) noexcept;
// The same, collecting every control message into `control`.
ReceiveResult receive_message(SocketCore* core, Boundaries kind, MutableBuffer buffer, ancillary::Received& control,
                              ReceiveFlags flags, SocketAddress* from, std::error_code& ec) noexcept;

// The size of the next message (MSG_PEEK | MSG_TRUNC), waiting for one;
// Linux only (not_supported elsewhere). A seqpacket socket's 0 is the end of
// the stream; an empty message there is errc::empty_message.
std::size_t next_message_size(SocketCore* core, Boundaries kind, std::error_code& ec) noexcept;

} // namespace localsock::posix
