// Private: what every localsock Asio object holds — the sync object that
// owns the descriptor or pipe and does all the socket work, and its
// registration with Asio (Readiness: speculative_wait.hpp or
// portable_wait.hpp on POSIX, which only wait; completion_port.hpp on
// Windows, which also starts the writes the sync object prepares).
//
// The sync object keeps the descriptor (and closes it); the registration is
// released, never closes it, when the object closes. The state is shared with the operations in flight, so an
// operation resumed after its object was closed or destroyed finds a closed
// state (operation_aborted), never a dangling one.
#pragma once

#include <localsock/asio/config.hpp>
#include <localsock/error.hpp>

#if defined(LOCALSOCK_ASIO_COMPLETION_PORT)
#  include <localsock/asio/detail/completion_port.hpp>
#elif defined(LOCALSOCK_ASIO_SPECULATIVE_WAIT)
#  include <localsock/asio/detail/speculative_wait.hpp>
#else
#  include <localsock/asio/detail/portable_wait.hpp>
#endif

#include <chrono>
#include <optional>
#include <system_error>
#include <utility>

namespace localsock::asio_detail {

template <class Sync, class Executor>
class SocketState {
public:
    using executor_type = Executor;
    using sync_type = Sync;
    using timer_type = net::basic_waitable_timer<std::chrono::steady_clock,
                                                 net::wait_traits<std::chrono::steady_clock>, Executor>;

    explicit SocketState(const Executor& executor) : readiness_(executor) {}
    SocketState(const SocketState&) = delete;
    SocketState& operator=(const SocketState&) = delete;
    ~SocketState() { forget_descriptor(); }

    executor_type get_executor() const noexcept { return readiness_.get_executor(); }
    bool is_open() const noexcept { return readiness_.is_open(); }
    Sync& sync() noexcept { return sync_; }
    Readiness<Executor>& readiness() noexcept { return readiness_; }

    // Takes `sync` over: non-blocking for good (Asio sets O_NONBLOCK on the
    // open file description anyway, so no blocking user may share it) and
    // registered with the reactor. On failure `sync` is left to the caller,
    // in blocking mode again, and this state stays closed.
    void adopt(Sync&& sync, std::error_code& ec) noexcept {
        ec.clear();
        close_quietly();
        if (!sync.is_open()) {
            ec = std::make_error_code(std::errc::bad_file_descriptor);
            return;
        }
        if (readiness_.operations_in_kernel() > 0) {
            // A close still waits for operations to come back through the
            // port (Windows): this state cannot take another object yet.
            ec = std::make_error_code(std::errc::device_or_resource_busy);
            return;
        }
        sync.set_nonblocking(true, ec);
        if (ec)
            return;
        // Registered where it stays: the Windows registration keeps the
        // sync object's address.
        sync_ = std::move(sync);
        readiness_.assign(sync_, ec);
        if (ec) {
            std::error_code ignored;
            sync_.set_nonblocking(false, ignored);
            sync = std::move(sync_);
        }
    }

    // The sync object back, in blocking mode; pending operations end with
    // operation_aborted.
    Sync release() noexcept {
        ++generation_;
        forget_descriptor();
        readiness_.give_back(sync_);
        closing_ = false;
        if (sync_.is_open()) {
            std::error_code ignored;
            sync_.set_nonblocking(false, ignored);
        }
        return std::move(sync_);
    }

    // Pending operations end with operation_aborted; the descriptor is
    // closed (and a socket file the sync object created removed). Closing a
    // closed object does nothing, as with Asio's sockets.
    void close(std::error_code& ec) noexcept {
        ec.clear();
        ++generation_;
        forget_descriptor();
        if (readiness_.operations_in_kernel() > 0) {
            // Windows: operations the cancellation has not brought back yet
            // still use the pipe and the sync object's buffers; it closes
            // when the last one has come back (operation_left_kernel).
            closing_ = sync_.is_open();
            return;
        }
        if (sync_.is_open())
            sync_.close(ec);
    }

    // An operation came back from the kernel (Windows; see close).
    void operation_left_kernel() noexcept {
        if (readiness_.operation_ended() && closing_) {
            closing_ = false;
            std::error_code ignored;
            sync_.close(ignored);
        }
    }
    void close_quietly() noexcept {
        std::error_code ignored;
        close(ignored);
    }

    // Pending operations end with operation_aborted; the socket stays open.
    void cancel() noexcept {
        readiness_.cancel();
        if (timer_)
            timer_->cancel();
    }

    // How many times the object was closed: a connect that was waiting when
    // it was closed gives up rather than connect a closed object again.
    unsigned generation() const noexcept { return generation_; }

    // The timer a connect waits on while the server's backlog is full.
    timer_type& retry_timer() {
        if (!timer_)
            timer_.emplace(readiness_.get_executor());
        return *timer_;
    }

private:
    void forget_descriptor() noexcept {
        readiness_.release(); // aborts pending operations; never closes
        if (timer_)
            timer_->cancel();
    }

    Sync sync_;
    Readiness<Executor> readiness_;
    std::optional<timer_type> timer_;
    unsigned generation_ = 0;
    bool closing_ = false; // closed, the sync object waiting for the kernel (Windows)
};

} // namespace localsock::asio_detail
