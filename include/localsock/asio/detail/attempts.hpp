// Private: attempts — one operation's socket work, as the backend runs it
// (try, wait for readiness while it would block, try again).
//
// An Attempt is a small object with:
//   void operator()(Sync& sync, std::error_code& ec)  one try; progress kept
//   bool progressed() const        whether a try already had a side effect
//                                  (bytes moved): cancellation is then partial
//   auto result(net_error_code)    the completion's arguments, as a tuple
// A try that reports would_block waits; anything else completes.
#pragma once

#include <localsock/asio/config.hpp>
#include <localsock/buffer.hpp>

#include <cstddef>
#include <optional>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>

namespace localsock::asio_detail {

inline bool would_block(const std::error_code& ec) noexcept { return ec == std::errc::operation_would_block; }

// One call whose return value is the whole result.
template <class Result, class Call>
struct SingleCall {
    Call call;
    Result value{};
    template <class Sync>
    void operator()(Sync& sync, std::error_code& ec) {
        value = call(sync, ec);
    }
    bool progressed() const noexcept { return false; }
    std::tuple<net_error_code, Result> result(net_error_code ec) { return {ec, std::move(value)}; }
};

// One call with no result but the error (message sends).
template <class Call>
struct VoidCall {
    Call call;
    template <class Sync>
    void operator()(Sync& sync, std::error_code& ec) {
        call(sync, ec);
    }
    bool progressed() const noexcept { return false; }
    std::tuple<net_error_code> result(net_error_code ec) { return {ec}; }
};

template <class Result, class Call>
SingleCall<Result, std::decay_t<Call>> single_call(Call&& call) {
    return {std::forward<Call>(call)};
}
template <class Call>
VoidCall<std::decay_t<Call>> void_call(Call&& call) {
    return {std::forward<Call>(call)};
}

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
    std::tuple<net_error_code, std::size_t> result(net_error_code ec) { return {ec, sent}; }
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
    std::tuple<net_error_code, Accepted> result(net_error_code ec) {
        if (accepted)
            return {ec, std::move(*accepted)};
        return {ec, Accepted(executor)};
    }
};

} // namespace localsock::asio_detail
