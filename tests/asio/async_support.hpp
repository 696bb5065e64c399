// Test support for the Asio layer: what differs between the two Asio
// flavours the suite is built with, and running one operation to completion
// with any kind of completion token.
#pragma once

#include <localsock/asio.hpp>
#if defined(LOCALSOCK_ASIO_USE_BOOST)
#  include <boost/asio/as_tuple.hpp>
#  include <boost/asio/deferred.hpp>
#else
#  include <asio/experimental/as_tuple.hpp>
#  include <asio/experimental/deferred.hpp>
#endif

#include <doctest/doctest.h>

#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace testing {

namespace net = localsock::net;
using localsock::net_error_code;

// The tokens whose names moved between Asio 1.22 (experimental) and
// Boost 1.81 (Asio 1.26).
#if defined(LOCALSOCK_ASIO_USE_BOOST)
using net_system_error = ::boost::system::system_error;
inline constexpr auto deferred = net::deferred;
template <class Token>
auto as_tuple(Token token) {
    return net::as_tuple(std::move(token));
}
inline constexpr const char* asio_flavour = "Boost.Asio";
#else
using net_system_error = ::asio::system_error;
inline constexpr auto deferred = net::experimental::deferred;
template <class Token>
auto as_tuple(Token token) {
    return net::experimental::as_tuple(std::move(token));
}
inline constexpr const char* asio_flavour = "standalone Asio";
#endif

// Long enough for anything these tests wait for on a loaded machine; a hang
// fails the test instead of the suite's timeout.
inline constexpr std::chrono::seconds patience{20};

// Runs `context` until `done()` holds (restarting it if it runs out of
// work); false if that took longer than `limit`.
template <class Done>
bool run_until(net::io_context& context, Done&& done, std::chrono::steady_clock::duration limit = patience) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline)
            return false;
        if (context.stopped())
            context.restart();
        context.run_one_for(deadline - now);
    }
    return true;
}

// Runs `context` for `duration` (what is ready runs; nothing waits longer).
inline void run_for(net::io_context& context, std::chrono::steady_clock::duration duration) {
    if (context.stopped())
        context.restart();
    context.run_for(duration);
}

// What an operation completed with: its error code and, unless its
// signature is void(error_code), its value.
template <class Value>
struct Outcome {
    net_error_code ec;
    std::optional<Value> value;
};
struct NoValue {};

// The completion token kinds every operation must accept.
enum class TokenKind { callback, awaitable, future, deferred, as_tuple };
inline constexpr TokenKind all_token_kinds[] = {TokenKind::callback, TokenKind::awaitable, TokenKind::future,
                                                TokenKind::deferred, TokenKind::as_tuple};
inline const char* name_of(TokenKind kind) {
    switch (kind) {
    case TokenKind::callback: return "callback";
    case TokenKind::awaitable: return "use_awaitable";
    case TokenKind::future: return "use_future";
    case TokenKind::deferred: return "deferred";
    case TokenKind::as_tuple: return "as_tuple(use_awaitable)";
    }
    return "?";
}

namespace async_support_detail {

template <class Value>
auto outcome_handler(std::optional<Outcome<Value>>& out) {
    return [&out](net_error_code ec, auto&&... values) {
        static_assert(sizeof...(values) == (std::is_same_v<Value, NoValue> ? 0 : 1));
        Outcome<Value> result{ec, {}};
        if constexpr (sizeof...(values) == 1)
            result.value.emplace(std::move(values)...);
        out.emplace(std::move(result));
    };
}

} // namespace async_support_detail

// Starts one operation with a token of kind `Kind` — `initiate(token)`
// calls the initiating function — runs `context` until it completes and
// returns what it completed with. Value is the second completion argument's
// type, or NoValue for void(error_code). The kind is a template argument so
// that a call instantiates the operation with its one token only: every
// token kind is a set of Asio templates (two of them coroutines), and most
// calls use one.
template <class Value, TokenKind Kind, class Initiate>
Outcome<Value> complete_with(net::io_context& context, Initiate initiate) {
    std::optional<Outcome<Value>> out;
    constexpr bool has_value = !std::is_same_v<Value, NoValue>;
    if constexpr (Kind == TokenKind::callback) {
        initiate(async_support_detail::outcome_handler<Value>(out));
    } else if constexpr (Kind == TokenKind::deferred) {
        auto operation = initiate(deferred);
        std::move(operation)(async_support_detail::outcome_handler<Value>(out));
    } else if constexpr (Kind == TokenKind::future) {
        auto future = initiate(net::use_future);
        REQUIRE(run_until(context, [&] {
            return future.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
        }));
        Outcome<Value> result;
        try {
            if constexpr (has_value)
                result.value.emplace(future.get());
            else
                future.get();
        } catch (const net_system_error& e) {
            result.ec = e.code();
        }
        out.emplace(std::move(result));
    } else {
        static_assert(Kind == TokenKind::awaitable || Kind == TokenKind::as_tuple);
        net::co_spawn(
            context,
            [initiate]() mutable -> net::awaitable<Outcome<Value>> {
                Outcome<Value> result;
                if constexpr (Kind == TokenKind::as_tuple) {
                    auto completion = co_await initiate(testing::as_tuple(net::use_awaitable));
                    result.ec = std::get<0>(completion);
                    if constexpr (has_value)
                        result.value.emplace(std::move(std::get<1>(completion)));
                } else {
                    try {
                        if constexpr (has_value)
                            result.value.emplace(co_await initiate(net::use_awaitable));
                        else
                            co_await initiate(net::use_awaitable);
                    } catch (const net_system_error& e) {
                        result.ec = e.code();
                    }
                }
                co_return result;
            },
            [&out](std::exception_ptr error, Outcome<Value> result) {
                if (error)
                    std::rethrow_exception(error);
                out.emplace(std::move(result));
            });
    }
    REQUIRE(run_until(context, [&] { return out.has_value(); }));
    return std::move(*out);
}

// The same with the kind chosen at run time, for the tests that go through
// every kind: instantiates the operation with all of them.
template <class Value, class Initiate>
Outcome<Value> complete_with(TokenKind kind, net::io_context& context, Initiate initiate) {
    switch (kind) {
    case TokenKind::callback: return complete_with<Value, TokenKind::callback>(context, std::move(initiate));
    case TokenKind::awaitable: return complete_with<Value, TokenKind::awaitable>(context, std::move(initiate));
    case TokenKind::future: return complete_with<Value, TokenKind::future>(context, std::move(initiate));
    case TokenKind::deferred: return complete_with<Value, TokenKind::deferred>(context, std::move(initiate));
    case TokenKind::as_tuple: return complete_with<Value, TokenKind::as_tuple>(context, std::move(initiate));
    }
    FAIL("unknown token kind");
    return {};
}

// Runs a coroutine on `context` to its end; rethrows what escaped it.
template <class Coroutine>
void run_coroutine(net::io_context& context, Coroutine coroutine,
                   std::chrono::steady_clock::duration limit = patience) {
    bool done = false;
    std::exception_ptr error;
    net::co_spawn(context, std::move(coroutine), [&](std::exception_ptr e) {
        error = e;
        done = true;
    });
    REQUIRE(run_until(context, [&] { return done; }, limit));
    if (error)
        std::rethrow_exception(error);
}

// localsock's own error codes compare with Boost's error_code after a
// conversion to std::error_code.
inline std::error_code std_error(const net_error_code& ec) { return std::error_code(ec); }
inline bool aborted(const net_error_code& ec) { return ec == net::error::operation_aborted; }

} // namespace testing
