// AsyncStream and AsyncListener: LocalStream and LocalListener for Asio.
//
// Completion-based: every operation takes any Asio completion token
// (callbacks, use_awaitable, use_future, deferred, as_tuple, ...) and
// completes exactly once, through the handler's associated executor, never
// inside the initiating call. Buffers, handle spans and out-parameters must
// stay alive until the operation completes, as Asio's buffers must.
//
// Threads: like Asio's own sockets. Distinct objects are independent. One
// object is used from one strand at a time (one thread running the
// io_context, or an explicit strand): its operations are started, and it is
// closed, cancelled, moved or destroyed, there. At most one read-side
// operation (async_read_some, async_receive, and on a listener async_accept)
// and one write-side operation (async_write_some, async_send) may be pending
// at once; composed operations such as net::async_write count as one. The
// handlers of one object's two sides may run on two threads at once unless
// the object's executor is a strand.
#pragma once

#include <localsock/asio/config.hpp>
#include <localsock/asio/detail/async_object.hpp>
#include <localsock/asio/detail/attempts.hpp>
#include <localsock/asio/detail/buffers.hpp>
#include <localsock/listener.hpp>
#include <localsock/stream.hpp>

#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace localsock {

template <class Executor = net::any_io_executor>
class AsyncStream : public asio_detail::AsyncObject<LocalStream, Executor> {
    using base = asio_detail::AsyncObject<LocalStream, Executor>;

public:
    using executor_type = Executor;
    template <class OtherExecutor>
    struct rebind_executor {
        using other = AsyncStream<OtherExecutor>;
    };

    // From an executor or execution context, closed or taking a sync
    // object over for good (AsyncObject's constructors).
    using base::base;

    const LocalSocketName& name() const { return this->sync().name(); }

    // Connects this closed stream to `name`. A full backlog (POSIX) or a
    // busy server (Windows) is waited for without blocking the thread, up to
    // options.busy_timeout (then timed_out). Completion: void(error_code).
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_connect(const LocalSocketName& name, Token&& token = Token()) {
        return async_connect(name, ConnectOptions{}, std::forward<Token>(token));
    }
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_connect(const LocalSocketName& name, const ConnectOptions& options, Token&& token = Token()) {
        return asio_detail::start_connect(this->shared_state(), name, options, std::forward<Token>(token));
    }

    // --- bytes: AsyncReadStream / AsyncWriteStream ---------------------------
    // void(error_code, std::size_t). End of stream is net::error::eof, as
    // Asio's composed reads expect. Handles that arrive with bytes read here
    // are closed (use async_receive to keep them).
    template <class MutableBufferSequence, class Token = net::default_completion_token_t<Executor>>
    auto async_read_some(const MutableBufferSequence& buffers, Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code, std::size_t)>(
            this->shared_state(), asio_detail::Direction::read,
            asio_detail::single_call<std::size_t>([buffers](LocalStream& stream, std::error_code& ec) {
                return at_eof(stream, read_some(stream, buffers, ec), buffers, ec);
            }),
            std::forward<Token>(token));
    }
    template <class ConstBufferSequence, class Token = net::default_completion_token_t<Executor>>
    auto async_write_some(const ConstBufferSequence& buffers, Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code, std::size_t)>(
            this->shared_state(), asio_detail::Direction::write,
            asio_detail::single_call<std::size_t>([buffers](LocalStream& stream, std::error_code& ec) {
                if constexpr (std::is_convertible_v<ConstBufferSequence, net::const_buffer>)
                    return stream.write_some(asio_detail::to_localsock(net::const_buffer(buffers)), ec);
                else
                    return stream.write_some(asio_detail::gather<ConstBuffer>(buffers).span(), ec);
            }),
            std::forward<Token>(token));
    }

    // --- handles ------------------------------------------------------------
    // Sends all of `bytes` with `handles` attached to the first byte, exactly
    // once however many writes the bytes take. The caller keeps what it lent
    // (they are duplicated into the message). void(error_code, std::size_t):
    // the bytes written, also when cancelled or failed part way (non-zero
    // means the handles went).
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_send(net::const_buffer bytes, std::span<const BorrowedHandle> handles, Token&& token = Token()) {
        return send_with_handles(bytes, handles, std::forward<Token>(token));
    }
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_send(net::const_buffer bytes, std::span<const OwnedHandle> handles, Token&& token = Token()) {
        return send_with_handles(bytes, handles, std::forward<Token>(token));
    }

    // Reads like async_read_some (the end of the stream is net::error::eof)
    // and appends the handles that came with those bytes to `handles`. The
    // sync receive's contract: too many handles delivers the bytes, closes
    // every handle that arrived and completes with errc::handles_truncated
    // and the byte count. void(error_code, std::size_t).
    // A receive cancelled while waiting has taken nothing: the bytes and
    // their handles stay queued for the next receive.
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_receive(net::mutable_buffer buffer, std::vector<OwnedHandle>& handles, Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code, std::size_t)>(
            this->shared_state(), asio_detail::Direction::read,
            asio_detail::single_call<std::size_t>([buffer, &handles](LocalStream& stream, std::error_code& ec) {
                return at_eof(stream, stream.receive(asio_detail::to_localsock(buffer), handles, ec), buffer, ec);
            }),
            std::forward<Token>(token));
    }

    // Bytes with any control messages (POSIX). void(error_code, std::size_t)
    // and void(error_code, ReceiveResult); the end of the stream is
    // net::error::eof, as above.
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_send(net::const_buffer bytes, const ancillary::Builder& control, Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code, std::size_t)>(
            this->shared_state(), asio_detail::Direction::write,
            asio_detail::send_all(asio_detail::to_localsock(bytes),
                                  [&control](LocalStream& stream, ConstBuffer b, std::error_code& ec) {
                                      return stream.send(b, control, ec);
                                  }),
            std::forward<Token>(token));
    }
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_receive(net::mutable_buffer buffer, ancillary::Received& control, Token&& token = Token()) {
        return async_receive(buffer, control, ReceiveFlags::none, std::forward<Token>(token));
    }
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_receive(net::mutable_buffer buffer, ancillary::Received& control, ReceiveFlags flags,
                       Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code, ReceiveResult)>(
            this->shared_state(), asio_detail::Direction::read,
            asio_detail::single_call<ReceiveResult>(
                [buffer, &control, flags](LocalStream& stream, std::error_code& ec) {
                    ReceiveResult result = stream.receive(asio_detail::to_localsock(buffer), control, flags, ec);
                    at_eof(stream, result.bytes, buffer, ec);
                    return result;
                }),
            std::forward<Token>(token));
    }

private:
    template <class Handle, class Token>
    auto send_with_handles(net::const_buffer bytes, std::span<const Handle> handles, Token&& token) {
        return asio_detail::start_attempt<void(net_error_code, std::size_t)>(
            this->shared_state(), asio_detail::Direction::write,
            asio_detail::send_all(asio_detail::to_localsock(bytes),
                                  [handles](LocalStream& stream, ConstBuffer b, std::error_code& ec) {
                                      return stream.send(b, handles, ec);
                                  }),
            std::forward<Token>(token));
    }

    template <class MutableBufferSequence>
    static std::size_t read_some(LocalStream& stream, const MutableBufferSequence& buffers, std::error_code& ec) {
        if constexpr (std::is_convertible_v<MutableBufferSequence, net::mutable_buffer>)
            return stream.read_some(asio_detail::to_localsock(net::mutable_buffer(buffers)), ec);
        else
            return stream.read_some(asio_detail::gather<MutableBuffer>(buffers).span(), ec);
    }

    // read_some and receive report the end of the stream as 0 bytes without
    // an error; Asio's AsyncReadStream reports it as eof (and 0 bytes into
    // an empty buffer is no end). Without it a receive loop would never see
    // the end.
    template <class MutableBufferSequence>
    static std::size_t at_eof(LocalStream&, std::size_t n, const MutableBufferSequence& buffers, std::error_code& ec) {
        if (n == 0 && !ec && net::buffer_size(buffers) != 0)
            ec = asio_detail::to_std_error(net_error_code(net::error::eof));
        return n;
    }
};

template <class Executor = net::any_io_executor>
class AsyncListener : public asio_detail::AsyncObject<LocalListener, Executor> {
    using base = asio_detail::AsyncObject<LocalListener, Executor>;

public:
    using executor_type = Executor;
    template <class OtherExecutor>
    struct rebind_executor {
        using other = AsyncListener<OtherExecutor>;
    };

    // From an executor or execution context, closed or taking a sync
    // object over for good (AsyncObject's constructors).
    using base::base;

    const LocalSocketName& local_name() const { return this->sync().local_name(); }

    // The next connection, as an AsyncStream on this listener's executor.
    // void(error_code, AsyncStream<Executor>) (a closed stream on error).
    // Cancelling takes no connection from the queue.
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_accept(Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code, AsyncStream<Executor>)>(
            this->shared_state(), asio_detail::Direction::read,
            asio_detail::AcceptAttempt<AsyncStream<Executor>>{this->get_executor(), {}}, std::forward<Token>(token));
    }
};

} // namespace localsock
