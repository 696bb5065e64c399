// localsock for Asio: the sockets of localsock as Asio I/O objects, handles
// included. Header-only; the compiled library never depends on Asio.
//
//   #include <localsock/asio.hpp>             // standalone Asio 1.22+
//   #define LOCALSOCK_ASIO_USE_BOOST          // or Boost.Asio (Boost 1.77+),
//   #include <localsock/asio.hpp>             //   defined before the include
//
//   AsyncListener / AsyncStream                 byte streams, handles on bytes
//   AsyncSeqpacketListener / AsyncSeqpacket     messages, handles per message
//   AsyncBufferPoolProducer / Consumer          the buffer pool over an AsyncSeqpacket
//   AsyncDatagram                               datagrams (POSIX; on Windows assign
//                                               reports not_supported, as LocalDatagram does)
//
// Each is a template on an executor (default net::any_io_executor), built
// from an executor or execution context plus the sync object it takes over,
// or opened by async_connect / async_accept. Every operation takes any
// completion token and per-operation cancellation; see stream.hpp for the
// common contract (completion, lifetimes, threads) and docs/design.md for
// the design on both platforms.
#pragma once

#include <localsock/asio/config.hpp>
#include <localsock/asio/immediate.hpp>
#include <localsock/asio/stream.hpp>
#include <localsock/asio/seqpacket.hpp>
#include <localsock/asio/datagram.hpp>
#include <localsock/asio/buffer_pool.hpp>
