// Private: the attempts (reactive_op.hpp) that are more than one call.
#pragma once

#include <localsock/asio/config.hpp>
#include <localsock/asio/detail/buffers.hpp>
#include <localsock/buffer.hpp>

#include <cstddef>
#include <optional>
#include <system_error>
#include <utility>

namespace localsock::asio_detail {

// A stream send of all of `bytes` whose first call carries something more
// (handles, control messages): `first(sync, bytes, ec)` sends with it and
// returns the bytes written; once any byte went, the extra went with it, so
// the rest goes as plain bytes and is never repeated.
template <class First>
struct SendAll {
    First first;
    ConstBuffer bytes;
    std::size_t sent = 0;
    bool started = false; // the first call moved at least one byte

    template <class Sync>
    void operator()(Sync& sync, std::error_code& ec) {
        if (!started) {
            sent = first(sync, bytes, ec);
            started = sent > 0;
        } else {
            const auto* data = static_cast<const std::byte*>(bytes.data());
            sent += sync.write_all(ConstBuffer(data + sent, bytes.size() - sent), ec);
        }
    }
    bool progressed() const noexcept { return started; }
    template <class Self>
    void complete(Self& self, net_error_code ec) {
        self.complete(ec, sent);
    }
};

template <class First>
SendAll<std::decay_t<First>> send_all(ConstBuffer bytes, First&& first) {
    return {std::forward<First>(first), bytes};
}

// An accept: the sync listener's accept, the connection taken over by an
// async object of type `Accepted` on `executor`.
template <class Accepted>
struct AcceptAttempt {
    typename Accepted::executor_type executor;
    std::optional<Accepted> accepted;

    template <class SyncListener>
    void operator()(SyncListener& listener, std::error_code& ec) {
        auto connection = listener.accept(ec);
        if (ec)
            return;
        Accepted async(executor);
        async.assign(std::move(connection), ec);
        if (!ec)
            accepted.emplace(std::move(async));
    }
    bool progressed() const noexcept { return false; }
    template <class Self>
    void complete(Self& self, net_error_code ec) {
        if (accepted)
            self.complete(ec, std::move(*accepted));
        else
            self.complete(ec, Accepted(executor));
    }
};

} // namespace localsock::asio_detail
