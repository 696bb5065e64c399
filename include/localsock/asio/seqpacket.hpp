// AsyncSeqpacket and AsyncSeqpacketListener: LocalSeqpacket and
// LocalSeqpacketListener for Asio. Messages keep their boundaries; handles
// belong to their message. Tokens, lifetimes and threads as in stream.hpp.
#pragma once

#include <localsock/asio/config.hpp>
#include <localsock/asio/detail/async_object.hpp>
#include <localsock/asio/detail/attempts.hpp>
#include <localsock/asio/detail/buffers.hpp>
#include <localsock/error.hpp>
#include <localsock/seqpacket.hpp>

#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace localsock {

template <class Executor = net::any_io_executor>
class AsyncSeqpacket : public asio_detail::AsyncObject<LocalSeqpacket, Executor> {
    using base = asio_detail::AsyncObject<LocalSeqpacket, Executor>;

public:
    using executor_type = Executor;
    template <class OtherExecutor>
    struct rebind_executor {
        using other = AsyncSeqpacket<OtherExecutor>;
    };

    // From an executor or execution context, closed or taking a sync
    // object over for good (AsyncObject's constructors).
    using base::base;

    const LocalSocketName& name() const { return this->sync().name(); }

    // As AsyncStream::async_connect. void(error_code).
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_connect(const LocalSocketName& name, Token&& token = Token()) {
        return async_connect(name, ConnectOptions{}, std::forward<Token>(token));
    }
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_connect(const LocalSocketName& name, const ConnectOptions& options, Token&& token = Token()) {
        return asio_detail::start_connect(this->shared_state(), name, options, std::forward<Token>(token));
    }

    // One message, whole or not at all, with `handles` (the caller keeps
    // what it lent). void(error_code). An empty message is
    // errc::empty_message (it would read as the end on the other side).
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_send(net::const_buffer message, Token&& token = Token()) {
        return async_send(message, std::span<const BorrowedHandle>(), std::forward<Token>(token));
    }
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_send(net::const_buffer message, std::span<const BorrowedHandle> handles, Token&& token = Token()) {
        return send_message(message, handles, std::forward<Token>(token));
    }
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_send(net::const_buffer message, std::span<const OwnedHandle> handles, Token&& token = Token()) {
        return send_message(message, handles, std::forward<Token>(token));
    }
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_send(net::const_buffer message, const ancillary::Builder& control, Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code)>(
            this->shared_state(), asio_detail::Direction::write,
            asio_detail::void_call([message, &control](LocalSeqpacket& socket, std::error_code& ec) {
                socket.send(asio_detail::to_localsock(message), control, ec);
            }),
            std::forward<Token>(token));
    }

    // The next message, as the sync receive gives it: void(error_code,
    // ReceiveResult) with the real message size and data_truncated when it
    // did not fit (the rest is gone, as with the sync receive); too many
    // handles closes every one that arrived (errc::handles_truncated). The
    // end of the stream is errc::end_of_stream. A receive cancelled while
    // waiting has taken nothing.
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_receive(net::mutable_buffer buffer, Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code, ReceiveResult)>(
            this->shared_state(), asio_detail::Direction::read,
            asio_detail::single_call<ReceiveResult>([buffer](LocalSeqpacket& socket, std::error_code& ec) {
                return at_end(socket.receive(asio_detail::to_localsock(buffer), ec), buffer, ec);
            }),
            std::forward<Token>(token));
    }
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_receive(net::mutable_buffer buffer, std::vector<OwnedHandle>& handles, Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code, ReceiveResult)>(
            this->shared_state(), asio_detail::Direction::read,
            asio_detail::single_call<ReceiveResult>([buffer, &handles](LocalSeqpacket& socket, std::error_code& ec) {
                return at_end(socket.receive(asio_detail::to_localsock(buffer), handles, ec), buffer, ec);
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
                [buffer, &control, flags](LocalSeqpacket& socket, std::error_code& ec) {
                    return at_end(socket.receive(asio_detail::to_localsock(buffer), control, flags, ec), buffer,
                                  ec);
                }),
            std::forward<Token>(token));
    }

private:
    // The sync receive reports the peer's close as an empty result without
    // an error; here it is errc::end_of_stream, as documented above. (An
    // empty buffer takes a message as truncated, with its real size: no end.)
    static ReceiveResult at_end(ReceiveResult result, net::mutable_buffer buffer, std::error_code& ec) {
        if (!ec && result.bytes == 0 && result.message_size == 0 && buffer.size() != 0)
            ec = make_error_code(errc::end_of_stream);
        return result;
    }

    template <class Handle, class Token>
    auto send_message(net::const_buffer message, std::span<const Handle> handles, Token&& token) {
        return asio_detail::start_attempt<void(net_error_code)>(
            this->shared_state(), asio_detail::Direction::write,
            asio_detail::void_call([message, handles](LocalSeqpacket& socket, std::error_code& ec) {
                socket.send(asio_detail::to_localsock(message), handles, ec);
            }),
            std::forward<Token>(token));
    }
};

template <class Executor = net::any_io_executor>
class AsyncSeqpacketListener : public asio_detail::AsyncObject<LocalSeqpacketListener, Executor> {
    using base = asio_detail::AsyncObject<LocalSeqpacketListener, Executor>;

public:
    using executor_type = Executor;
    template <class OtherExecutor>
    struct rebind_executor {
        using other = AsyncSeqpacketListener<OtherExecutor>;
    };

    // From an executor or execution context, closed or taking a sync
    // object over for good (AsyncObject's constructors).
    using base::base;

    const LocalSocketName& local_name() const { return this->sync().local_name(); }

    // void(error_code, AsyncSeqpacket<Executor>) (a closed socket on error).
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_accept(Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code, AsyncSeqpacket<Executor>)>(
            this->shared_state(), asio_detail::Direction::read,
            asio_detail::AcceptAttempt<AsyncSeqpacket<Executor>>{this->get_executor(), {}},
            std::forward<Token>(token));
    }
};

} // namespace localsock
