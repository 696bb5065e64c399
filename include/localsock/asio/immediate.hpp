// Immediate completion: a handler that may run inside the initiating call.
//
// An Asio operation that completes at once — the socket call succeeded
// before anything had to wait — still hands its handler to the scheduler,
// never calling it from the initiating function. That is the safe default,
// and it costs: the scheduler polls the reactor (an epoll_wait that finds
// nothing) before it runs the handler. Asio 1.28 lets a handler opt out with
// an immediate executor; the Asio versions localsock's fast path is built on
// (1.22 to 1.26: Debian's standalone 1.22, Boost 1.81) predate it, so
// localsock offers the same contract for its own operations:
//
//     stream.async_read_some(buffer, localsock::bind_immediate_executor(io.get_executor(), on_read));
//
// An operation of localsock's whose handler carries an immediate executor,
// and that completes before it had to wait, submits the handler through that
// executor with execute(): an io_context's executor, from a thread running
// that io_context, runs it at once, inside the initiating call. The handler
// must then be ready to run there: nothing it needs may be set up after the
// initiating call returns. Everything else is unchanged: a handler that has
// to wait completes through its associated executor as always. (The try
// that can complete at once is made in the initiating call while the
// previous operation in that direction needed no wait; after one that
// waited, the reactor makes it, and a completion at once is posted.) Composed
// operations (net::async_write, async_read, async_read_until) pass the
// binding through to the operations they start, as they do every
// association. To keep the stack bounded, at most max_immediate_depth
// immediate completions nest on one thread; the next one goes through the
// scheduler.
//
// Honoured by the POSIX backend that waits inside Asio's reactor (Asio 1.22
// to 1.26, config.hpp); the portable wait ignores it (its completions are
// always posted). For callback handlers: the binder is a handler, not a
// completion token adapter.
#pragma once

#include <localsock/asio/config.hpp>

#include <type_traits>
#include <utility>

namespace localsock {

// A handler `T` whose immediate completions go through `Executor`. Every
// other association (executor, allocator, cancellation slot) is the target's.
template <class T, class Executor>
class immediate_executor_binder {
public:
    using target_type = T;
    using immediate_executor_type = Executor;

    template <class U>
    immediate_executor_binder(const Executor& executor, U&& target)
        : executor_(executor), target_(std::forward<U>(target)) {}

    target_type& get() noexcept { return target_; }
    const target_type& get() const noexcept { return target_; }
    immediate_executor_type get_immediate_executor() const noexcept { return executor_; }

    template <class... Args>
    decltype(auto) operator()(Args&&... args) && {
        return std::move(target_)(std::forward<Args>(args)...);
    }
    template <class... Args>
    decltype(auto) operator()(Args&&... args) & {
        return target_(std::forward<Args>(args)...);
    }

    // A continuation if the target is (Asio's scheduler queues it so).
    friend bool asio_handler_is_continuation(immediate_executor_binder* self) {
        return LOCALSOCK_ASIO_CONT_HELPERS::is_continuation(self->target_);
    }

private:
    Executor executor_;
    T target_;
};

template <class Executor, class T>
immediate_executor_binder<std::decay_t<T>, Executor> bind_immediate_executor(const Executor& executor, T&& target) {
    return {executor, std::forward<T>(target)};
}

// The immediate executor associated with a handler, as Asio's associated_*
// traits: the binder's, what a composed operation's handler has (through
// net::associator, which Asio's composed operations specialise to pass every
// association on), or `Default`.
template <class T, class Default>
struct associated_immediate_executor;

namespace asio_detail {
// The default: no immediate executor (completions go through the scheduler).
struct no_immediate_executor {};

template <class T, class Default, class = void>
struct associated_immediate_executor_impl {
    using type = Default;
    static type get(const T&, const Default& fallback = Default()) noexcept { return fallback; }
};
template <class T, class Default>
struct associated_immediate_executor_impl<
    T, Default, std::void_t<typename net::associator<associated_immediate_executor, T, Default>::type>>
    : net::associator<associated_immediate_executor, T, Default> {};
} // namespace asio_detail

template <class T, class Default>
struct associated_immediate_executor : asio_detail::associated_immediate_executor_impl<T, Default> {};

template <class T, class Executor, class Default>
struct associated_immediate_executor<immediate_executor_binder<T, Executor>, Default> {
    using type = Executor;
    static type get(const immediate_executor_binder<T, Executor>& binder, const Default& = Default()) noexcept {
        return binder.get_immediate_executor();
    }
};

template <class T, class Default>
typename associated_immediate_executor<T, Default>::type get_associated_immediate_executor(
    const T& t, const Default& fallback) noexcept {
    return associated_immediate_executor<T, Default>::get(t, fallback);
}

// At most this many immediate completions nest on one thread.
inline constexpr unsigned max_immediate_depth = 16;

} // namespace localsock

// The binder has its target's executor, allocator and cancellation slot.
template <template <class, class> class Associator, class T, class Executor, class Default>
struct localsock::net::associator<Associator, localsock::immediate_executor_binder<T, Executor>, Default> {
    using type = typename Associator<T, Default>::type;
    static type get(const localsock::immediate_executor_binder<T, Executor>& binder,
                    const Default& fallback = Default()) noexcept {
        return Associator<T, Default>::get(binder.get(), fallback);
    }
};
