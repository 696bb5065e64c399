// Private: what every localsock Asio object shares — its executor, its shared
// state (the sync object plus the descriptor Asio waits on), and the
// controls that are not operations: assign, release, close, cancel.
#pragma once

#include <localsock/asio/config.hpp>
#include <localsock/asio/detail/backend.hpp>
#include <localsock/error.hpp>
#include <localsock/handle.hpp>

#include <memory>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

namespace localsock::asio_detail {

// The name an object's errors carry ("localsock: assign '@bus': ...").
template <class Sync>
const LocalSocketName& name_of(const Sync& sync) noexcept {
    if constexpr (requires { sync.local_name(); })
        return sync.local_name();
    else
        return sync.name();
}

template <class Sync, class Executor>
class AsyncObject;

// The shared state of an object, for operations built outside its class on
// its socket (asio/buffer_pool.hpp): created on first use, as the object's
// own operations do.
template <class Sync, class Executor>
const std::shared_ptr<SocketState<Sync, Executor>>& shared_state_of(AsyncObject<Sync, Executor>& object);

template <class Sync, class Executor>
class AsyncObject {
public:
    using executor_type = Executor;
    using sync_type = Sync;

    // Closed, on `executor` (or the context's); open it with assign, or
    // with async_connect / async_accept where the type has them.
    explicit AsyncObject(const executor_type& executor) : executor_(executor) {}
    template <class Context>
        requires std::is_convertible_v<Context&, net::execution_context&>
    explicit AsyncObject(Context& context) : executor_(context.get_executor()) {}
    // Takes `sync` over for good (see assign); throws std::system_error.
    AsyncObject(const executor_type& executor, Sync&& sync) : executor_(executor) { assign(std::move(sync)); }
    template <class Context>
        requires std::is_convertible_v<Context&, net::execution_context&>
    AsyncObject(Context& context, Sync&& sync) : executor_(context.get_executor()) {
        assign(std::move(sync));
    }

    // The executor is copied, not moved, as Asio's own I/O objects do: a
    // moved-from object is closed but keeps its executor, so it can be
    // opened again (a moved-from any_io_executor is empty, and creating the
    // new state on it would throw bad_executor).
    AsyncObject(AsyncObject&& other) noexcept : executor_(other.executor_), state_(std::move(other.state_)) {}
    AsyncObject& operator=(AsyncObject&& other) noexcept {
        if (this != &other) {
            close_quietly();
            executor_ = other.executor_;
            state_ = std::move(other.state_);
        }
        return *this;
    }
    // Like Asio's I/O objects: pending operations end with operation_aborted.
    ~AsyncObject() { close_quietly(); }

    executor_type get_executor() const noexcept { return executor_; }
    bool is_open() const noexcept { return state_ && state_->is_open(); }
    native_handle_type native_handle() const noexcept {
        return state_ ? state_->sync().native_handle() : Sync().native_handle();
    }

    // The sync object underneath, for its controls (credentials, limits,
    // shutdown, names). Its I/O calls do not wait: they report would_block.
    Sync& sync() { return state().sync(); }
    const Sync& sync() const { return const_cast<AsyncObject*>(this)->state().sync(); }

    // Takes `sync` over for good: its descriptor becomes non-blocking and is
    // registered with the executor's reactor. A blocking object must not
    // share that descriptor (O_NONBLOCK belongs to the open file
    // description, not to one descriptor). On failure `sync` stays with the
    // caller, blocking again.
    void assign(Sync&& sync) {
        std::error_code ec;
        assign(std::move(sync), ec);
        if (ec)
            detail::throw_operation_error(ec, "assign", name_of(sync));
    }
    void assign(Sync&& sync, std::error_code& ec) { state().adopt(std::move(sync), ec); }

    // The sync object back in blocking mode; pending operations end with
    // operation_aborted. This object is closed afterwards.
    Sync release() noexcept { return state_ ? state_->release() : Sync(); }

    // Pending operations end with operation_aborted, then the socket is
    // closed (a listener's socket file removed). Closing a closed object
    // does nothing.
    void close() {
        std::error_code ec;
        const LocalSocketName name = state_ ? name_of(state_->sync()) : LocalSocketName();
        close(ec);
        if (ec)
            detail::throw_operation_error(ec, "close", name);
    }
    void close(std::error_code& ec) noexcept {
        ec.clear();
        if (state_)
            state_->close(ec);
    }

    // Pending operations end with operation_aborted; the socket stays open.
    void cancel() noexcept {
        if (state_)
            state_->cancel();
    }

protected:
    using state_type = SocketState<Sync, Executor>;

    // Created on first use: a moved-from object is closed, not broken.
    state_type& state() { return *shared_state(); }
    const std::shared_ptr<state_type>& shared_state() {
        if (!state_)
            state_ = std::make_shared<state_type>(executor_);
        return state_;
    }

private:
    friend const std::shared_ptr<state_type>& shared_state_of<>(AsyncObject& object);

    void close_quietly() noexcept {
        if (state_)
            state_->close_quietly();
    }

    executor_type executor_;
    std::shared_ptr<state_type> state_;
};

template <class Sync, class Executor>
const std::shared_ptr<SocketState<Sync, Executor>>& shared_state_of(AsyncObject<Sync, Executor>& object) {
    return object.shared_state();
}

} // namespace localsock::asio_detail
