// Private: the one asynchronous operation of the POSIX backend.
//
// Every localsock Asio operation is "try the sync object's non-blocking call;
// if it would block, wait for readiness and try again". The call is the sync
// library's own (the same sendmsg/recvmsg path, control-message handling and
// wire rules); this file only adds the waiting. Trying first costs nothing on
// a busy socket and is what a hand-written epoll server does; the wait is an
// Asio descriptor wait, so every Asio reactor (epoll, kqueue, select, and
// io_uring, whose SENDMSG cannot carry SCM_RIGHTS) serves.
//
// An Attempt is a small object with:
//   void operator()(Sync& sync, std::error_code& ec)  one try; progress kept
//   bool progressed() const        whether a try already had a side effect
//                                  (bytes moved): cancellation is then partial
//   template <class Self> void complete(Self&, net_error_code)
//                                  calls self.complete with the result
// A try that reports would_block waits; anything else completes.
#pragma once

#include <localsock/asio/config.hpp>
#include <localsock/asio/detail/socket_state.hpp>

#include <memory>
#include <system_error>
#include <utility>

namespace localsock::asio_detail {

inline bool would_block(const std::error_code& ec) noexcept { return ec == std::errc::operation_would_block; }

template <class State, class Attempt>
class ReactiveOp {
public:
    ReactiveOp(std::shared_ptr<State> state, WaitType wait, Attempt attempt)
        : state_(std::move(state)), attempt_(std::move(attempt)), wait_(wait) {}

    // Started by async_compose, or resumed by the post of an immediate result.
    template <class Self>
    void operator()(Self& self) {
        if (posted_)
            return attempt_.complete(self, error_);
        try_and_continue(self, true);
    }

    // Resumed by the readiness wait.
    template <class Self>
    void operator()(Self& self, net_error_code waited) {
        if (waited)
            return attempt_.complete(self, waited); // cancelled, or the object closed
        if (!state_->is_open())                     // closed after the wait succeeded
            return attempt_.complete(self, operation_aborted());
        try_and_continue(self, false);
    }

private:
    template <class Self>
    void try_and_continue(Self& self, bool initiating) {
        std::error_code ec;
        attempt_(state_->sync(), ec);
        if (would_block(ec) && state_->is_open()) {
            // Nothing done yet: any cancellation can be honoured with no side
            // effect (total). Bytes already moved: only partial or terminal,
            // and the completion reports them.
            if (attempt_.progressed())
                self.reset_cancellation_state(net::enable_partial_cancellation());
            else
                self.reset_cancellation_state(net::enable_total_cancellation());
            auto& descriptor = state_->descriptor();
            const WaitType wait = wait_;
            descriptor.async_wait(wait, std::move(self));
            return;
        }
        error_ = to_net_error(ec);
        if (initiating) {
            // Never call the handler from inside the initiating function: it
            // runs through its executor, as Asio's own operations do.
            posted_ = true;
            net::post(std::move(self));
            return;
        }
        attempt_.complete(self, error_);
    }

    std::shared_ptr<State> state_;
    Attempt attempt_;
    net_error_code error_;
    WaitType wait_;
    bool posted_ = false;
};

// Starts `attempt` on `state` as an Asio operation with completion
// signature `Signature`, for any completion token.
template <class Signature, class State, class Attempt, class Token>
auto start_reactive(const std::shared_ptr<State>& state, WaitType wait, Attempt&& attempt, Token&& token) {
    auto& io_object = state->descriptor();
    return net::async_compose<Token, Signature>(
        ReactiveOp<State, std::decay_t<Attempt>>(state, wait, std::forward<Attempt>(attempt)), token, io_object);
}

// Attempts whose whole result is one value, made by one call.
template <class Result, class Call>
struct SingleCall {
    Call call;
    Result result{};
    template <class Sync>
    void operator()(Sync& sync, std::error_code& ec) {
        result = call(sync, ec);
    }
    bool progressed() const noexcept { return false; }
    template <class Self>
    void complete(Self& self, net_error_code ec) {
        self.complete(ec, std::move(result));
    }
};

// Attempts with no result but the error (message sends).
template <class Call>
struct VoidCall {
    Call call;
    template <class Sync>
    void operator()(Sync& sync, std::error_code& ec) {
        call(sync, ec);
    }
    bool progressed() const noexcept { return false; }
    template <class Self>
    void complete(Self& self, net_error_code ec) {
        self.complete(ec);
    }
};

template <class Result, class Call>
SingleCall<Result, std::decay_t<Call>> single_call(Call&& call) {
    return {std::forward<Call>(call)};
}
template <class Call>
VoidCall<std::decay_t<Call>> void_call(Call&& call) {
    return {std::forward<Call>(call)};
}

} // namespace localsock::asio_detail
