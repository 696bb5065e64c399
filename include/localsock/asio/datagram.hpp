// AsyncDatagram: LocalDatagram for Asio (POSIX; Windows has no local
// datagrams). Tokens, lifetimes and threads as in stream.hpp.
#pragma once

#include <localsock/asio/config.hpp>
#include <localsock/asio/detail/async_object.hpp>
#include <localsock/asio/detail/buffers.hpp>
#include <localsock/datagram.hpp>

#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace localsock {

template <class Executor = net::any_io_executor>
class AsyncDatagram : public asio_detail::AsyncObject<LocalDatagram, Executor> {
    using base = asio_detail::AsyncObject<LocalDatagram, Executor>;

public:
    using executor_type = Executor;
    template <class OtherExecutor>
    struct rebind_executor {
        using other = AsyncDatagram<OtherExecutor>;
    };

    // From an executor or execution context, closed or taking a sync
    // object over for good (AsyncObject's constructors).
    using base::base;

    const LocalSocketName& local_name() const { return this->sync().local_name(); }

    // One datagram to `to`, whole or not at all, with `handles`.
    // void(error_code). A full receiver queue is waited for.
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_send_to(const LocalSocketName& to, net::const_buffer datagram, Token&& token = Token()) {
        return async_send_to(to, datagram, std::span<const BorrowedHandle>(), std::forward<Token>(token));
    }
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_send_to(const LocalSocketName& to, net::const_buffer datagram,
                       std::span<const BorrowedHandle> handles, Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code)>(
            this->shared_state(), asio_detail::Direction::write,
            asio_detail::void_call([&to, datagram, handles](LocalDatagram& socket, std::error_code& ec) {
                socket.send_to(to, asio_detail::to_localsock(datagram), handles, ec);
            }),
            std::forward<Token>(token));
    }
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_send_to(const LocalSocketName& to, net::const_buffer datagram, const ancillary::Builder& control,
                       Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code)>(
            this->shared_state(), asio_detail::Direction::write,
            asio_detail::void_call([&to, datagram, &control](LocalDatagram& socket, std::error_code& ec) {
                socket.send_to(to, asio_detail::to_localsock(datagram), control, ec);
            }),
            std::forward<Token>(token));
    }

    // The next datagram and who sent it: void(error_code, ReceiveResult), as
    // the sync receive_from. A receive cancelled while waiting has taken
    // nothing.
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_receive_from(net::mutable_buffer buffer, LocalSocketName& sender, Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code, ReceiveResult)>(
            this->shared_state(), asio_detail::Direction::read,
            asio_detail::single_call<ReceiveResult>([buffer, &sender](LocalDatagram& socket, std::error_code& ec) {
                return socket.receive_from(asio_detail::to_localsock(buffer), sender, ec);
            }),
            std::forward<Token>(token));
    }
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_receive_from(net::mutable_buffer buffer, LocalSocketName& sender, std::vector<OwnedHandle>& handles,
                            Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code, ReceiveResult)>(
            this->shared_state(), asio_detail::Direction::read,
            asio_detail::single_call<ReceiveResult>(
                [buffer, &sender, &handles](LocalDatagram& socket, std::error_code& ec) {
                    return socket.receive_from(asio_detail::to_localsock(buffer), sender, handles, ec);
                }),
            std::forward<Token>(token));
    }
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_receive_from(net::mutable_buffer buffer, LocalSocketName& sender, ancillary::Received& control,
                            ReceiveFlags flags, Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code, ReceiveResult)>(
            this->shared_state(), asio_detail::Direction::read,
            asio_detail::single_call<ReceiveResult>(
                [buffer, &sender, &control, flags](LocalDatagram& socket, std::error_code& ec) {
                    return socket.receive_from(asio_detail::to_localsock(buffer), sender, control, flags, ec);
                }),
            std::forward<Token>(token));
    }

    // On a connected socket (sync().connect(peer)): the same without names.
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_send(net::const_buffer datagram, Token&& token = Token()) {
        return async_send(datagram, std::span<const BorrowedHandle>(), std::forward<Token>(token));
    }
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_send(net::const_buffer datagram, std::span<const BorrowedHandle> handles, Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code)>(
            this->shared_state(), asio_detail::Direction::write,
            asio_detail::void_call([datagram, handles](LocalDatagram& socket, std::error_code& ec) {
                socket.send(asio_detail::to_localsock(datagram), handles, ec);
            }),
            std::forward<Token>(token));
    }
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_receive(net::mutable_buffer buffer, Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code, ReceiveResult)>(
            this->shared_state(), asio_detail::Direction::read,
            asio_detail::single_call<ReceiveResult>([buffer](LocalDatagram& socket, std::error_code& ec) {
                return socket.receive(asio_detail::to_localsock(buffer), ec);
            }),
            std::forward<Token>(token));
    }
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_receive(net::mutable_buffer buffer, std::vector<OwnedHandle>& handles, Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code, ReceiveResult)>(
            this->shared_state(), asio_detail::Direction::read,
            asio_detail::single_call<ReceiveResult>([buffer, &handles](LocalDatagram& socket, std::error_code& ec) {
                return socket.receive(asio_detail::to_localsock(buffer), handles, ec);
            }),
            std::forward<Token>(token));
    }
};

} // namespace localsock
