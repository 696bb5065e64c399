// Private: the POSIX wait inside Asio's reactor (see config.hpp,
// LOCALSOCK_ASIO_SPECULATIVE_WAIT).
//
// The descriptor is registered with the io_context's reactor once (epoll:
// edge-triggered, as Asio registers its own sockets). An operation is a
// reactor operation whose "perform" is the attempt — the sync object's
// non-blocking call. The reactor tries it at once (speculatively) and, if it
// would block, queues it under the descriptor's lock and performs it again
// when the descriptor is ready. That is exactly the system-call sequence of
// a hand-written edge-triggered epoll loop: the call, EAGAIN, the wait, the
// call. (Asio's public async_wait would add an epoll_ctl per wait to re-arm
// the descriptor: correct for a call made outside the lock, one call too
// many here.) Completions go through the scheduler and the handler's
// executor like every Asio operation's; the handler is never called from
// the initiating function, unless it asked for that with an immediate
// executor (immediate.hpp): then the first try is made here, before the
// operation exists, and a completion that needed no wait goes through that
// executor. (Only while the last operation in that direction needed no wait
// either: one that would block is tried again by the reactor, and two tries
// that see EAGAIN would be one system call too many.)
#pragma once

#include <localsock/asio/config.hpp>
#include <localsock/asio/detail/attempts.hpp>
#include <localsock/asio/immediate.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>

namespace localsock::asio_detail {

enum class Direction { read, write };

// A handler with its completion arguments, invoked once.
template <class Handler, class Args>
struct BoundCompletion {
    Handler handler;
    Args args;
    void operator()() {
        std::apply([this](auto&... a) { std::move(handler)(std::move(a)...); }, args);
    }
};

using Reactor = net::detail::reactor;

// Per-operation cancellation (the cancellation_key_ of the operation). Only
// what the operation can honour: once a send has moved bytes, a `total`
// request (no side effect) cannot be met; terminal and partial still can.
class AttemptCancellation {
public:
    AttemptCancellation(Reactor* reactor, Reactor::per_descriptor_data* data, int fd, int op_type) noexcept
        : reactor_(reactor), data_(data), fd_(fd), op_type_(op_type) {}

    void operator()(net::cancellation_type_t type) {
        auto honoured = net::cancellation_type::terminal | net::cancellation_type::partial;
        if (!progressed_.load(std::memory_order_acquire))
            honoured = honoured | net::cancellation_type::total;
        if (!!(type & honoured))
            reactor_->cancel_ops_by_key(fd_, *data_, op_type_, this);
    }
    void mark_progressed() noexcept { progressed_.store(true, std::memory_order_release); }

private:
    Reactor* reactor_;
    Reactor::per_descriptor_data* data_;
    int fd_;
    int op_type_;
    std::atomic<bool> progressed_{false};
};

// `Keep` (the shared state) keeps the sync object alive while the operation
// is in the reactor.
template <class Handler, class IoExecutor, class Attempt, class Keep>
class AttemptOp : public net::detail::reactor_op {
public:
    LOCALSOCK_ASIO_DEFINE_HANDLER_PTR(AttemptOp);

    AttemptOp(Handler& handler, const IoExecutor& io_executor, Direction direction, Attempt&& attempt, Keep keep)
        : reactor_op(net_error_code(), &AttemptOp::do_perform, &AttemptOp::do_complete),
          handler_(std::move(handler)),
          work_(handler_, io_executor),
          attempt_(std::move(attempt)),
          keep_(std::move(keep)),
          direction_(direction) {}

    bool progressed() const noexcept { return attempt_.progressed(); }

    // In the reactor, under the descriptor's lock.
    static status do_perform(reactor_op* base) {
        auto* op = static_cast<AttemptOp*>(base);
        std::error_code ec;
        auto& sync = op->keep_->sync();
        op->attempt_(sync, ec);
        if (would_block(ec)) {
            op->waited_ = true;
            if (op->attempt_.progressed() && op->cancellation_key_ != nullptr)
                static_cast<AttemptCancellation*>(op->cancellation_key_)->mark_progressed();
            return not_done;
        }
        op->ec_ = to_net_error(ec);
        op->keep_->readiness().note_completion(op->direction_, op->waited_);
        return done;
    }

    // By the scheduler (owner set), or when the io_context is destroyed with
    // the operation pending (owner null: free it, call nothing).
    static void do_complete(void* owner, net::detail::operation* base, const net_error_code& /*ec*/,
                            std::size_t /*bytes*/) {
        auto* op = static_cast<AttemptOp*>(base);
        ptr p = {std::addressof(op->handler_), op, op};
        net::detail::handler_work<Handler, IoExecutor> work(std::move(op->work_));
        // Aborted (cancel, close): ec_ is operation_aborted and the attempt
        // reports what it did (bytes already sent), nothing else was taken.
        auto args = op->attempt_.result(op->ec_);
        BoundCompletion<Handler, decltype(args)> completion{std::move(op->handler_), std::move(args)};
        p.h = std::addressof(completion.handler);
        p.reset(); // the memory goes back before the upcall, as in Asio
        if (owner) {
            net::detail::fenced_block fence(net::detail::fenced_block::half);
            work.complete(completion, completion.handler);
        }
    }

private:
    Handler handler_;
    net::detail::handler_work<Handler, IoExecutor> work_;
    Attempt attempt_;
    Keep keep_;
    Direction direction_;
    bool waited_ = false; // a try would have blocked
};

// How deeply immediate completions nest on this thread (immediate.hpp).
struct ImmediateDepth {
    static inline thread_local unsigned depth = 0;
    ImmediateDepth() noexcept { ++depth; }
    ~ImmediateDepth() { --depth; }
    ImmediateDepth(const ImmediateDepth&) = delete;
    ImmediateDepth& operator=(const ImmediateDepth&) = delete;
    static bool room() noexcept { return depth < max_immediate_depth; }
};

template <class Handler>
inline constexpr bool has_immediate_executor =
    !std::is_same_v<typename associated_immediate_executor<Handler, no_immediate_executor>::type,
                    no_immediate_executor>;

template <class Executor>
class Readiness {
public:
    explicit Readiness(const Executor& executor)
        : executor_(executor),
          reactor_(&net::use_service<Reactor>(net::query(executor, net::execution::context))) {
        reactor_->init_task(); // the scheduler runs the reactor even if nothing else of Asio's does
    }
    Readiness(const Readiness&) = delete;
    Readiness& operator=(const Readiness&) = delete;
    ~Readiness() { release(); }

    Executor get_executor() const noexcept { return executor_; }
    bool is_open() const noexcept { return fd_ >= 0; }

    // The descriptor must be non-blocking already (the sync object's
    // set_nonblocking): attempts are made on it directly.
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
        if (const int error = reactor_->register_descriptor(fd, data_); error != 0) {
            ec.assign(error, std::system_category());
            return;
        }
        fd_ = fd;
        waited_ = {};
    }
    // Pending operations end with operation_aborted; the descriptor leaves
    // the reactor (it is not closed).
    void release() noexcept {
        if (fd_ < 0)
            return;
        reactor_->deregister_descriptor(fd_, data_, false);
        reactor_->cleanup_descriptor_data(data_);
        fd_ = -1;
    }
    void cancel() noexcept {
        if (fd_ >= 0)
            reactor_->cancel_ops(fd_, data_);
    }

    // Records whether the operation that just completed in `direction` had
    // to wait. Written by that direction's side only (one operation at a time).
    void note_completion(Direction direction, bool waited) noexcept { waited_[index(direction)] = waited; }

    template <class Handler, class Attempt, class Keep>
    void start(Direction direction, Handler& handler, Attempt&& attempt, Keep keep) {
        if constexpr (has_immediate_executor<Handler>) {
            if (try_immediately(direction, handler, attempt, keep))
                return;
        }
        using Op = AttemptOp<Handler, Executor, std::decay_t<Attempt>, Keep>;
        const bool is_continuation = LOCALSOCK_ASIO_CONT_HELPERS::is_continuation(handler);
        auto slot = net::get_associated_cancellation_slot(handler);
        typename Op::ptr p = {std::addressof(handler), Op::ptr::allocate(handler), nullptr};
        p.p = new (p.v) Op(handler, executor_, direction, std::forward<Attempt>(attempt), std::move(keep));
        const int op_type = direction == Direction::read ? Reactor::read_op : Reactor::write_op;
        if (fd_ < 0) { // a closed object: bad_descriptor, through the scheduler
            p.p->ec_ = net::error::bad_descriptor;
            reactor_->post_immediate_completion(p.p, is_continuation);
            p.v = p.p = nullptr;
            return;
        }
        if (slot.is_connected()) {
            auto& key = slot.template emplace<AttemptCancellation>(reactor_, &data_, fd_, op_type);
            if (p.p->progressed()) // bytes moved by the immediate try
                key.mark_progressed();
            p.p->cancellation_key_ = &key;
        }
        reactor_->start_op(op_type, fd_, data_, p.p, is_continuation, true);
        p.v = p.p = nullptr;
    }

private:
    static constexpr std::size_t index(Direction direction) noexcept { return direction == Direction::read ? 0 : 1; }

    // The first try, made here for a handler with an immediate executor;
    // true if the operation completed (its handler submitted). Not when the
    // last operation in this direction had to wait (this one likely will:
    // the reactor's own try, under its lock, decides), nor beyond
    // max_immediate_depth: then the completion, if immediate, is posted, as
    // for any handler.
    template <class Handler, class Attempt, class Keep>
    bool try_immediately(Direction direction, Handler& handler, Attempt& attempt, Keep& keep) {
        if (fd_ < 0 || waited_[index(direction)] || !ImmediateDepth::room())
            return false;
        std::error_code ec;
        attempt(keep->sync(), ec);
        if (would_block(ec)) {
            waited_[index(direction)] = true;
            return false; // the reactor tries again under its lock, then waits
        }
        auto args = attempt.result(to_net_error(ec));
        auto executor = get_associated_immediate_executor(handler, no_immediate_executor{});
        ImmediateDepth nested;
        net::execution::execute(executor, BoundCompletion<Handler, decltype(args)>{std::move(handler), std::move(args)});
        return true;
    }

    Executor executor_;
    Reactor* reactor_;
    Reactor::per_descriptor_data data_ = Reactor::per_descriptor_data();
    int fd_ = -1;
    std::array<bool, 2> waited_{}; // the last read / write had to wait
};

// Starts `attempt` as an Asio operation with completion signature
// `Signature`, for any completion token.
template <class State>
struct InitiateAttempt {
    using executor_type = typename State::executor_type;
    std::shared_ptr<State> state;
    Direction direction;

    executor_type get_executor() const noexcept { return state->get_executor(); }

    template <class Handler, class Attempt>
    void operator()(Handler&& handler, Attempt&& attempt) const {
        std::decay_t<Handler> owned(std::forward<Handler>(handler));
        state->readiness().start(direction, owned, std::forward<Attempt>(attempt), state);
    }
};

template <class Signature, class State, class Attempt, class Token>
auto start_attempt(const std::shared_ptr<State>& state, Direction direction, Attempt&& attempt, Token&& token) {
    return net::async_initiate<Token, Signature>(InitiateAttempt<State>{state, direction}, token,
                                                  std::forward<Attempt>(attempt));
}

} // namespace localsock::asio_detail
