// Private: the POSIX wait through Asio's public API (see config.hpp,
// LOCALSOCK_ASIO_SPECULATIVE_WAIT): for Asio versions whose reactor this
// layer was not tested against, or with LOCALSOCK_ASIO_PORTABLE_WAIT.
//
// An operation is an async_compose that tries the attempt (the sync
// object's non-blocking call) and, if it would block, waits with the
// descriptor's async_wait and tries again. The same system calls as the
// speculative wait plus one epoll_ctl per wait (Asio re-arms the descriptor
// for a wait, since the call was made outside its lock).
#pragma once

#include <localsock/asio/config.hpp>
#include <localsock/asio/detail/attempts.hpp>

#include <memory>
#include <tuple>
#include <system_error>
#include <utility>

namespace localsock::asio_detail {

enum class Direction { read, write };

template <class Executor>
class Readiness {
public:
    explicit Readiness(const Executor& executor) : executor_(executor), descriptor_(executor) {}
    ~Readiness() { release(); }

    Executor get_executor() const noexcept { return executor_; }
    bool is_open() const noexcept { return descriptor_.is_open(); }
    net::posix::basic_stream_descriptor<Executor>& descriptor() noexcept { return descriptor_; }

    // The sync object's descriptor, made non-blocking by SocketState.
    template <class Sync>
    void assign(Sync& sync, std::error_code& ec) noexcept {
        assign(sync.native_handle(), ec);
    }
    // Nothing of the sync object's to undo (SocketState makes it blocking again).
    template <class Sync>
    void give_back(Sync&) noexcept {}
    // A readiness wait holds nothing in the kernel: a close never waits.
    std::size_t operations_in_kernel() const noexcept { return 0; }

    void assign(int fd, std::error_code& ec) noexcept {
        net_error_code asio_ec;
        descriptor_.assign(fd, asio_ec);
        // Asio's own record that the descriptor is non-blocking (the sync
        // object made it so), so that its first wait does not set it again.
        if (!asio_ec)
            descriptor_.non_blocking(true, asio_ec);
        if (asio_ec) {
            release();
            ec = to_std_error(asio_ec);
        }
    }
    void release() noexcept {
        if (descriptor_.is_open())
            (void)descriptor_.release(); // deregisters and aborts waits; never closes
    }
    void cancel() noexcept {
        net_error_code ignored;
        if (descriptor_.is_open())
            descriptor_.cancel(ignored);
    }

private:
    Executor executor_;
    net::posix::basic_stream_descriptor<Executor> descriptor_;
};

template <class State, class Attempt>
class ReactiveOp {
public:
    ReactiveOp(std::shared_ptr<State> state, Direction direction, Attempt attempt)
        : state_(std::move(state)), attempt_(std::move(attempt)),
          wait_(direction == Direction::read ? net::posix::descriptor_base::wait_read
                                             : net::posix::descriptor_base::wait_write) {}

    // Started by async_compose, or resumed by the post of an immediate result.
    template <class Self>
    void operator()(Self& self) {
        if (posted_)
            return complete(self, error_);
        try_and_continue(self, true);
    }

    // Resumed by the readiness wait.
    template <class Self>
    void operator()(Self& self, net_error_code waited) {
        if (waited)
            return complete(self, waited); // cancelled, or the object closed
        if (!state_->is_open())            // closed after the wait succeeded
            return complete(self, operation_aborted());
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
            auto& descriptor = state_->readiness().descriptor();
            const auto wait = wait_;
            descriptor.async_wait(wait, std::move(self));
            return;
        }
        error_ = to_net_error(ec);
        if (initiating) {
            // Never call the handler from inside the initiating function: it
            // runs through its executor, as Asio's own operations do. Posted
            // to the I/O executor, which then dispatches to the handler's
            // own: posting to the handler's executor directly would resume
            // the operation wherever that executor's never-blocking execute
            // runs it (use_future's goes to a system_executor thread, off
            // the io_context, with composed operations continuing there).
            posted_ = true;
            net::post(state_->get_executor(), std::move(self));
            return;
        }
        complete(self, error_);
    }

    template <class Self>
    void complete(Self& self, net_error_code ec) {
        std::apply([&self](auto&&... args) { self.complete(std::move(args)...); }, attempt_.result(ec));
    }

    std::shared_ptr<State> state_;
    Attempt attempt_;
    net_error_code error_;
    net::posix::descriptor_base::wait_type wait_;
    bool posted_ = false;
};

// Starts `attempt` as an Asio operation with completion signature
// `Signature`, for any completion token.
template <class Signature, class State, class Attempt, class Token>
auto start_attempt(const std::shared_ptr<State>& state, Direction direction, Attempt&& attempt, Token&& token) {
    auto& io_object = state->readiness().descriptor();
    return net::async_compose<Token, Signature>(
        ReactiveOp<State, std::decay_t<Attempt>>(state, direction, std::forward<Attempt>(attempt)), token, io_object);
}

} // namespace localsock::asio_detail
