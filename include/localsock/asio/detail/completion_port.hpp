// Private: the Windows backend of the Asio layer — named pipes on the
// io_context's completion port (docs/design.md, "Async I/O: Windows").
//
// The same attempts as on POSIX (attempts.hpp): each operation calls the
// sync object's non-blocking call, which finds the pipe's data queued or
// says would_block. What differs is the wait, and who starts a write:
//
//   read      a zero-byte overlapped ReadFile on the port, which completes
//             when a byte (byte mode) or a message (message mode: with
//             ERROR_MORE_DATA) is queued, and takes nothing; then the
//             attempt again. The wait is the only overlapped read, so a read
//             cancelled while waiting has taken nothing (total).
//   write     the sync object, in completion-port mode, prepares the write
//             (its framing, its handle values, the bytes in its buffer) and
//             the operation starts it with its own OVERLAPPED; its completion
//             tells the sync object how it ended (bytes that did not go are
//             given back to the frame state) and the operation completes
//             when the write did, never before: a completed async_write is
//             in the pipe, and closing after it loses nothing.
//   accept    the listener's instances are bound to the port one by one and
//             each given an overlapped ConnectNamedPipe; a completion marks
//             its instance connected and wakes the waiting accept (a timer
//             that never expires, cancelled as a signal).
//   connect   connect_op.hpp: CreateFileW never waits; a busy server is
//             retried on a timer.
//
// Every completion, also of a call that failed at once, goes through the
// port (overlapped_ptr::complete), never inline. The sync object's own
// overlapped calls set the low bit of OVERLAPPED.hEvent, so the port only
// ever sees this backend's OVERLAPPEDs.
//
// Lifetime: an OVERLAPPED and the buffer of a started write must outlive
// the operation in the kernel. Operations hold the shared state; close()
// cancels them (CancelIoEx) and, while any is still in the kernel, leaves
// the sync object open until the last one has come back through the port.
// An io_context destroyed with operations pending would wait for them
// forever (Asio drains outstanding work at shutdown): PortService cancels
// them first.
#pragma once

#include <localsock/asio/config.hpp>
#include <localsock/asio/detail/attempts.hpp>
#include <localsock/asio/detail/port_access.hpp>
#include <localsock/error.hpp>

#include <windows.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>

namespace localsock::asio_detail {

enum class Direction { read, write };

template <class Sync>
inline constexpr bool is_listener_v =
    std::is_same_v<Sync, LocalListener> || std::is_same_v<Sync, LocalSeqpacketListener>;
// What named pipes can be (LocalDatagram cannot: its assign reports
// not_supported, as the sync object's calls do).
template <class Sync>
inline constexpr bool is_pipe_v =
    is_listener_v<Sync> || std::is_same_v<Sync, LocalStream> || std::is_same_v<Sync, LocalSeqpacket>;

using PortAccess = ::localsock::detail::CompletionPortAccess;

inline net_error_code win32_error(unsigned long error) noexcept {
    return net_error_code(static_cast<int>(error), net::error::get_system_category());
}

// --- io_context shutdown --------------------------------------------------------
// Whatever has overlapped operations in the kernel registers here; the
// service's shutdown (before the io_context's own, which waits for them)
// cancels them.
class PortUser {
public:
    virtual void cancel_io() noexcept = 0;

protected:
    ~PortUser() = default;

private:
    friend class PortService;
    PortUser* prev_ = nullptr;
    PortUser* next_ = nullptr;
};

class PortService : public net::execution_context::service {
public:
    using key_type = PortService;
    static inline net::execution_context::id id;

    explicit PortService(net::execution_context& context) : net::execution_context::service(context) {}

    void add(PortUser* user) noexcept {
        std::lock_guard lock(mutex_);
        user->next_ = first_;
        user->prev_ = nullptr;
        if (first_ != nullptr)
            first_->prev_ = user;
        first_ = user;
    }
    void remove(PortUser* user) noexcept {
        std::lock_guard lock(mutex_);
        if (user->prev_ != nullptr)
            user->prev_->next_ = user->next_;
        else if (first_ == user)
            first_ = user->next_;
        if (user->next_ != nullptr)
            user->next_->prev_ = user->prev_;
        user->prev_ = user->next_ = nullptr;
    }

private:
    void shutdown() override {
        std::lock_guard lock(mutex_);
        for (PortUser* user = first_; user != nullptr; user = user->next_)
            user->cancel_io();
    }

    std::mutex mutex_;
    PortUser* first_ = nullptr;
};

// --- how a write ended, after Asio freed its OVERLAPPED -----------------------------
// release() and the io_context's shutdown read how the write in the kernel
// ended (its bytes decide whether its handle copies reached the peer). Asio
// frees an operation, OVERLAPPED included, as soon as its packet is
// dequeued, before the handler runs, on whichever thread dequeued it. So a
// write operation's memory goes back through WriteAllocator, which first
// copies that OVERLAPPED here; a read takes the live one or the copy. One
// lock orders the two.
class WriteStatus {
public:
    void started(OVERLAPPED* io) noexcept {
        std::lock_guard lock(mutex_);
        live_ = io;
        copied_ = false;
    }
    // The block [memory, memory + size) goes back to its allocator.
    void freeing(const void* memory, std::size_t size) noexcept {
        std::lock_guard lock(mutex_);
        const auto* begin = static_cast<const char*>(memory);
        const auto* io = reinterpret_cast<const char*>(live_);
        if (live_ != nullptr && io >= begin && io < begin + size) {
            copy_ = *live_;
            copied_ = true;
            live_ = nullptr;
        }
    }
    // How the write ended (call once it has: its event is set); false when
    // no write is in flight.
    bool result(HANDLE pipe, unsigned long& error, std::size_t& bytes) noexcept {
        std::lock_guard lock(mutex_);
        OVERLAPPED* io = live_ != nullptr ? live_ : copied_ ? &copy_ : nullptr;
        if (io == nullptr)
            return false;
        DWORD moved = 0;
        error = ::GetOverlappedResult(pipe, io, &moved, FALSE) ? 0 : ::GetLastError();
        bytes = moved;
        return true;
    }
    void ended() noexcept {
        std::lock_guard lock(mutex_);
        live_ = nullptr;
        copied_ = false;
    }

private:
    std::mutex mutex_;
    OVERLAPPED* live_ = nullptr;
    OVERLAPPED copy_{};
    bool copied_ = false;
};

// The allocator of a write operation: the handler's own (Asio's recycling
// cache for the default), telling WriteStatus before memory goes back.
template <class T, class Inner>
class WriteAllocator {
public:
    using value_type = T;
    WriteAllocator(const Inner& inner, WriteStatus& status) noexcept : inner_(inner), status_(&status) {}
    template <class U>
    WriteAllocator(const WriteAllocator<U, Inner>& other) noexcept : inner_(other.inner()), status_(&other.status()) {}

    T* allocate(std::size_t n) { return rebound().allocate(n); }
    void deallocate(T* p, std::size_t n) noexcept {
        status_->freeing(p, n * sizeof(T));
        rebound().deallocate(p, n);
    }
    const Inner& inner() const noexcept { return inner_; }
    WriteStatus& status() const noexcept { return *status_; }
    // (One object's writes, the same handler allocator: Asio never mixes them.)
    template <class U>
    bool operator==(const WriteAllocator<U, Inner>& other) const noexcept {
        return status_ == &other.status();
    }

private:
    typename std::allocator_traits<Inner>::template rebind_alloc<T> rebound() const noexcept {
        return typename std::allocator_traits<Inner>::template rebind_alloc<T>(inner_);
    }

    Inner inner_;
    WriteStatus* status_;
};

// --- the registration ----------------------------------------------------------
// What SocketState holds on Windows in place of the POSIX readiness: the
// pipe it waits on (owned by the sync object), the port it is bound to,
// and the timer a waiting accept sleeps on.
template <class Executor>
class Readiness : public PortUser {
public:
    using timer_type = net::basic_waitable_timer<std::chrono::steady_clock,
                                                 net::wait_traits<std::chrono::steady_clock>, Executor>;

    explicit Readiness(const Executor& executor) : executor_(executor) {}
    Readiness(const Readiness&) = delete;
    Readiness& operator=(const Readiness&) = delete;
    ~Readiness() { release(); }

    Executor get_executor() const noexcept { return executor_; }
    bool is_open() const noexcept { return open_; }
    HANDLE handle() const noexcept { return handle_; }

    // Binds a handle to the io_context's completion port, for good (the
    // binding belongs to the pipe, shared by its duplicates).
    bool bind(HANDLE handle, std::error_code& ec) noexcept {
        net_error_code asio_ec;
        net::use_service<net::detail::win_iocp_io_context>(context()).register_handle(handle, asio_ec);
        ec = to_std_error(asio_ec);
        return !ec;
    }

    // Takes `sync` into completion-port mode; its pipe is bound to the port
    // (a listener's instances are bound as they are armed).
    template <class Sync>
    void assign(Sync& sync, std::error_code& ec) noexcept {
        ec.clear();
        release();
        if constexpr (!is_pipe_v<Sync>) {
            ec = std::make_error_code(std::errc::not_supported);
        } else {
            if constexpr (!is_listener_v<Sync>) {
                const HANDLE pipe = static_cast<HANDLE>(sync.native_handle());
                if (!PortAccess::port_bound(sync) && !bind(pipe, ec))
                    return;
                handle_ = pipe;
            }
            PortAccess::set_port_mode(sync, true);
            sync_ = &sync;
            cancel_io_ = [](Readiness* self, void* s) noexcept {
                if constexpr (is_listener_v<Sync>) {
                    std::lock_guard lock(self->listener_mutex_);
                    PortAccess::cancel_connects(*static_cast<Sync*>(s));
                } else {
                    self->settle_write(*static_cast<Sync*>(s));
                }
            };
            open_ = true;
            service().add(this);
        }
    }

    // The sync object out of completion-port mode (release): a write in
    // flight is cancelled and waited for, a listener's connects too.
    template <class Sync>
    void give_back(Sync& sync) noexcept {
        if constexpr (is_pipe_v<Sync>) {
            if (sync.is_open())
                PortAccess::set_port_mode(sync, false); // a write in flight was settled by release()
        }
    }

    // A write in the kernel that its operation may never report to `sync`
    // (cancel_io: release(), close(), the io_context's shutdown, whose
    // handler is destroyed unrun): cancelled, waited for (its buffer is the
    // sync object's), and reported now from its result, so that the handle
    // copies of a frame of which nothing went are closed and what did not go
    // is owed again. (The operation's own report then finds nothing to do.)
    template <class Sync>
    void settle_write(Sync& sync) noexcept {
        OVERLAPPED* const io = std::exchange(in_flight_[static_cast<int>(Direction::write)], nullptr);
        if (io == nullptr)
            return;
        ::CancelIoEx(handle_, io);
        ::WaitForSingleObject(static_cast<HANDLE>(PortAccess::write_event(sync)), INFINITE);
        unsigned long error = 0;
        std::size_t bytes = 0;
        if (write_status_.result(handle_, error, bytes)) {
            std::error_code ignored;
            PortAccess::write_finished(sync, error, bytes, ignored);
        }
        write_status_.ended();
    }

    // Cancels every operation in the kernel and forgets the pipe; the sync
    // object's port mode is its owner's to end (give_back).
    void release() noexcept {
        if (!open_)
            return;
        service().remove(this);
        cancel_io();
        cancel();
        open_ = false;
        handle_ = nullptr;
        sync_ = nullptr;
    }

    // Pending operations end with operation_aborted; the pipe stays open.
    // A listener's connects are not operations: they stay pending (a
    // cancelled accept takes nothing, and clients keep finding an instance).
    void cancel() noexcept {
        read_cancelled_ = true;
        cancel_operations();
        std::lock_guard lock(listener_mutex_);
        if (timer_) {
            signalled_ = false;
            timer_->cancel();
        }
    }

    // Everything this backend has in the kernel, a listener's connects
    // included (release, close, the io_context's shutdown).
    void cancel_io() noexcept override {
        if (!open_)
            return;
        cancel_operations();
        if (cancel_io_ != nullptr)
            cancel_io_(this, sync_);
    }

    // This backend's reads and writes only: never a write the sync object
    // was asked for directly (that one goes out as it would on a socket;
    // CancelIoEx(pipe, nullptr) would drop its bytes).
    void cancel_operations() noexcept {
        if (!open_)
            return;
        for (OVERLAPPED* io : in_flight_)
            if (io != nullptr)
                ::CancelIoEx(handle_, io);
    }

    // The zero-byte read and the write in the kernel, by direction, for
    // cancel_io.
    void started(Direction direction, OVERLAPPED* io) noexcept { in_flight_[static_cast<int>(direction)] = io; }
    void ended(Direction direction) noexcept { in_flight_[static_cast<int>(direction)] = nullptr; }

    // A listener's accept: the timer it waits on, and the signal that an
    // instance connected (the flag tells the signal from a cancellation).
    timer_type& accept_timer() {
        if (!timer_)
            timer_.emplace(executor_);
        return *timer_;
    }
    void signal_accept() noexcept {
        signalled_ = true;
        if (timer_)
            timer_->cancel();
    }
    void clear_signal() noexcept { signalled_ = false; }
    // Accepts in progress: a listener's instances wait on the port only
    // while one is (see disarm_when_idle).
    void accept_begun() noexcept { accepts_.fetch_add(1, std::memory_order_relaxed); }
    void accept_ended() noexcept { accepts_.fetch_sub(1, std::memory_order_relaxed); }
    std::size_t accepts() const noexcept { return accepts_.load(std::memory_order_relaxed); }
    bool take_signal() noexcept { return std::exchange(signalled_, false); }

    // A cancellation of the wait for data (its slot, or cancel()): set by
    // the canceller, cleared when a wait starts.
    bool& read_cancelled() noexcept { return read_cancelled_; }

    WriteStatus& write_status() noexcept { return write_status_; }

    // Operations in the kernel (zero-byte reads, writes, connects).
    // (Atomic: a read and a write of one object may end on two threads.)
    void operation_started() noexcept { in_kernel_.fetch_add(1, std::memory_order_relaxed); }
    bool operation_ended() noexcept { return in_kernel_.fetch_sub(1, std::memory_order_acq_rel) == 1; }
    std::size_t operations_in_kernel() const noexcept { return in_kernel_.load(std::memory_order_acquire); }

    // A listener's shared state — its instances, the accept timer and
    // signal — is touched by the accept (on the user's strand) and by the
    // connects' completions and the disarm (on any thread of the
    // io_context): they take this lock.
    std::mutex& listener_mutex() noexcept { return listener_mutex_; }

private:
    net::execution_context& context() const noexcept { return net::query(executor_, net::execution::context); }
    PortService& service() const { return net::use_service<PortService>(context()); }

    Executor executor_;
    bool open_ = false;
    HANDLE handle_ = nullptr;
    void* sync_ = nullptr;
    void (*cancel_io_)(Readiness*, void*) noexcept = nullptr;
    std::optional<timer_type> timer_;
    bool signalled_ = false;
    std::atomic<std::size_t> accepts_{0};
    OVERLAPPED* in_flight_[2] = {nullptr, nullptr};
    bool read_cancelled_ = false;
    WriteStatus write_status_;
    std::atomic<std::size_t> in_kernel_{0};
    std::mutex listener_mutex_;
};

// --- completions ------------------------------------------------------------------
// Cancels one overlapped operation: a cancellation slot's handler. For a
// zero-byte read, `requested` tells the operation a cancellation came even
// if the read had finished already (it took nothing, so the receive can
// still be cancelled as a whole); a write that finished went, so it has none.
struct CancelOverlapped {
    HANDLE handle;
    OVERLAPPED* overlapped;
    bool* requested = nullptr;
    void operator()(net::cancellation_type) const noexcept {
        if (requested != nullptr)
            *requested = true;
        ::CancelIoEx(handle, overlapped);
    }
};

// Counts an operation in the kernel for the state, until its completion
// arrives or Asio destroys it unrun (shutdown); the state learns the count
// dropped to zero (a close waiting for it closes the sync object then).
template <class State>
class KernelTicket {
public:
    explicit KernelTicket(std::shared_ptr<State> state) : state_(std::move(state)) {
        state_->readiness().operation_started();
    }
    KernelTicket(KernelTicket&&) noexcept = default;
    KernelTicket& operator=(KernelTicket&&) = delete;
    ~KernelTicket() { punch(); }
    void punch() noexcept {
        if (state_)
            std::exchange(state_, nullptr)->operation_left_kernel();
    }

private:
    std::shared_ptr<State> state_;
};

// The handler an overlapped_ptr completes: resumes the composed operation
// `self` with (error, bytes), after clearing the cancellation slot it
// installed and ending its ticket.
template <class State, class Self>
class PortResume {
public:
    PortResume(std::shared_ptr<State> state, Self self) : ticket_(std::move(state)), self_(std::move(self)) {}

    void operator()(net_error_code ec, std::size_t bytes) {
        auto slot = net::get_associated_cancellation_slot(self_);
        if (slot.is_connected())
            slot.clear();
        self_(ec, bytes); // first: it reports a write's end to the sync object, still open
        ticket_.punch();  // then a close that waited for this may close it
    }

    const Self& inner() const noexcept { return self_; }

private:
    KernelTicket<State> ticket_;
    Self self_;
};

// A write's: the same, its memory given back through WriteAllocator (every
// other associated property still the composed operation's).
template <class State, class Self>
class PortWriteResume : public PortResume<State, Self> {
    using Inner = typename net::detail::get_recycling_allocator<
        net::associated_allocator_t<Self>, net::detail::thread_info_base::default_tag>::type;

public:
    using allocator_type = WriteAllocator<void, Inner>;

    PortWriteResume(const std::shared_ptr<State>& state, Self self)
        : PortResume<State, Self>(state, std::move(self)), status_(&state->readiness().write_status()) {}

    allocator_type get_allocator() const noexcept {
        return allocator_type(net::detail::get_recycling_allocator<net::associated_allocator_t<Self>,
                                                                   net::detail::thread_info_base::default_tag>::
                                  get(net::get_associated_allocator(this->inner())),
                              *status_);
    }

private:
    WriteStatus* status_;
};

// --- operations ----------------------------------------------------------------------
template <class Attempt>
void retract(Attempt& attempt, std::size_t unsent) noexcept {
    if constexpr (requires { attempt.sent; }) {
        attempt.sent -= std::min(unsent, attempt.sent);
    } else if constexpr (requires { attempt.value; }) {
        if constexpr (std::is_same_v<decltype(attempt.value), std::size_t>)
            attempt.value -= std::min(unsent, attempt.value);
    }
}

template <class State, class Attempt>
class PortOp {
    using Sync = typename State::sync_type;

public:
    PortOp(std::shared_ptr<State> state, Direction direction, Attempt attempt)
        : state_(std::move(state)), attempt_(std::move(attempt)), direction_(direction) {
        if constexpr (is_listener_v<Sync>)
            state_->readiness().accept_begun();
    }

    // Started by async_compose, or resumed by the post of a result.
    template <class Self>
    void operator()(Self& self) {
        if (posted_)
            return complete(self, error_);
        try_and_continue(self, true);
    }

    // Resumed by the accept timer (a signal, or a cancellation), or by the
    // retry timer of a write behind a direct one.
    template <class Self>
    void operator()(Self& self, net_error_code waited) {
        if (!state_->is_open())
            return complete(self, operation_aborted());
        if (std::exchange(waiting_direct_, false)) {
            if (waited)
                return complete(self, waited); // cancelled
            return try_and_continue(self, false);
        }
        bool signalled;
        {
            std::lock_guard lock(state_->readiness().listener_mutex());
            signalled = state_->readiness().take_signal();
        }
        if (!signalled && waited)
            return complete(self, waited); // cancelled
        try_and_continue(self, false);
    }

    // Resumed by the port: the zero-byte read or the write ended.
    template <class Self>
    void operator()(Self& self, net_error_code ec, std::size_t bytes) {
        state_->readiness().ended(writing_ ? Direction::write : Direction::read);
        if (writing_) {
            writing_ = false;
            state_->readiness().write_status().ended();
            std::error_code write_error;
            // The sync object is still open here (a close waits for this
            // completion before closing it) unless it was released: what did
            // not go is counted here, from the write's own figures.
            PortAccess::write_finished(state_->sync(), static_cast<unsigned long>(ec.value()), bytes, write_error);
            if (ec && !write_error)
                write_error = to_std_error(ec); // released: the sync object knew nothing of it
            const std::size_t unsent = prepared_size_ - std::min(bytes, prepared_size_);
            retract(attempt_, std::is_same_v<Sync, LocalSeqpacket> ? (unsent > 0 ? prepared_payload_ : 0)
                                                                    : std::min(unsent, prepared_payload_));
            if (write_error) {
                if (ec == net::error::operation_aborted || !state_->is_open())
                    return complete(self, operation_aborted());
                return complete(self, to_net_error(write_error));
            }
            if (!state_->is_open())
                return complete(self, operation_aborted());
            if (!would_block(attempt_error_))
                return complete(self, to_net_error(attempt_error_));
            return try_and_continue(self, false); // more to write
        }
        if (!state_->is_open() || ec == net::error::operation_aborted ||
            std::exchange(state_->readiness().read_cancelled(), false))
            return complete(self, operation_aborted()); // the zero-byte read took nothing
        const auto error = static_cast<unsigned long>(ec.value());
        if (!ec && message_mode()) {
            // A zero-byte read that completed without ERROR_MORE_DATA took a
            // message of zero bytes (a plain peer's): report it, as a
            // receive would.
            return complete(self, to_net_error(make_error_code(errc::empty_message)));
        }
        if (ec && error != ERROR_MORE_DATA && error != ERROR_BROKEN_PIPE && error != ERROR_PIPE_NOT_CONNECTED &&
            error != ERROR_NO_DATA)
            return complete(self, ec);
        (void)bytes;
        try_and_continue(self, false); // data, a message, or the end: the attempt says which
    }

private:
    static constexpr bool message_mode() noexcept { return std::is_same_v<Sync, LocalSeqpacket>; }

    template <class Self>
    void try_and_continue(Self& self, bool initiating) {
        std::error_code ec;
        std::unique_lock<std::mutex> listener_lock;
        if constexpr (is_listener_v<Sync>)
            listener_lock = std::unique_lock(state_->readiness().listener_mutex());
        for (;;) {
            if constexpr (is_listener_v<Sync>) {
                attempt_(state_->sync(), ec);
            } else if (direction_ == Direction::write) {
                PortAccess::set_preparing(state_->sync(), true);
                attempt_(state_->sync(), ec);
                PortAccess::set_preparing(state_->sync(), false);
                if (PortAccess::write_prepared(state_->sync(), prepared_size_, prepared_payload_)) {
                    attempt_error_ = ec;
                    return start_write(self);
                }
            } else {
                attempt_(state_->sync(), ec);
            }
            if (!would_block(ec) || !state_->is_open())
                break;
            if (attempt_.progressed())
                self.reset_cancellation_state(net::enable_partial_cancellation());
            else
                self.reset_cancellation_state(net::enable_total_cancellation());
            if constexpr (is_listener_v<Sync>) {
                if (arm_instances(state_)) // a client was there already
                    continue;
                auto& readiness = state_->readiness();
                readiness.clear_signal();
                auto& timer = readiness.accept_timer();
                timer.expires_at(std::chrono::steady_clock::time_point::max());
                timer.async_wait(std::move(self));
                return;
            } else {
                if (direction_ == Direction::write) {
                    // A write made directly on the sync object is still in
                    // flight, and it has no completion on the port. Rare
                    // (direct and async writes mixed on a full pipe): look
                    // again after a millisecond.
                    auto& timer = state_->retry_timer();
                    timer.expires_after(std::chrono::milliseconds(1));
                    waiting_direct_ = true;
                    timer.async_wait(std::move(self));
                    return;
                }
                return wait_readable(self);
            }
        }
        if (listener_lock.owns_lock())
            listener_lock.unlock();
        error_ = to_net_error(ec);
        if (initiating) {
            // Never inside the initiating function (portable_wait.hpp says why
            // it goes through the I/O executor).
            posted_ = true;
            net::post(state_->get_executor(), std::move(self));
            return;
        }
        complete(self, error_);
    }

    // Waits for a byte or a message with a zero-byte read on the port.
    template <class Self>
    void wait_readable(Self& self) {
        static char nothing;
        auto state = state_;
        const HANDLE pipe = state->readiness().handle();
        bool& cancelled = state->readiness().read_cancelled();
        cancelled = false;
        auto slot = self.get_cancellation_state().slot();
        net::windows::overlapped_ptr ptr(state->get_executor(),
                                         PortResume<State, std::decay_t<Self>>(state, std::move(self)));
        if (slot.is_connected())
            slot.template emplace<CancelOverlapped>(pipe, ptr.get(), &cancelled);
        state->readiness().started(Direction::read, ptr.get());
        if (!::ReadFile(pipe, &nothing, 0, nullptr, ptr.get())) {
            const DWORD error = ::GetLastError();
            // ERROR_MORE_DATA: a message is queued; its completion is queued too.
            if (error != ERROR_IO_PENDING && error != ERROR_MORE_DATA) {
                ptr.complete(win32_error(error), 0);
                return;
            }
        }
        ptr.release();
    }

    // Starts the write the attempt prepared; resumed when it ends.
    template <class Self>
    void start_write(Self& self) {
        writing_ = true;
        self.reset_cancellation_state(net::enable_partial_cancellation());
        auto state = state_;
        const HANDLE pipe = state->readiness().handle();
        auto slot = self.get_cancellation_state().slot();
        net::windows::overlapped_ptr ptr(state->get_executor(),
                                         PortWriteResume<State, std::decay_t<Self>>(state, std::move(self)));
        if (slot.is_connected())
            slot.template emplace<CancelOverlapped>(pipe, ptr.get());
        state->readiness().started(Direction::write, ptr.get());
        state->readiness().write_status().started(ptr.get());
        const unsigned long error = PortAccess::start_write(state->sync(), ptr.get());
        if (error != 0) {
            ptr.complete(win32_error(error), 0);
            return;
        }
        ptr.release();
    }

    template <class Self>
    void complete(Self& self, net_error_code ec) {
        if constexpr (is_listener_v<Sync>) {
            state_->readiness().accept_ended();
            if (state_->is_open())
                disarm_when_idle(state_);
        }
        std::apply([&self](auto&&... args) { self.complete(std::move(args)...); }, attempt_.result(ec));
    }

    std::shared_ptr<State> state_;
    Attempt attempt_;
    Direction direction_;
    net_error_code error_;
    std::error_code attempt_error_; // what the attempt said when it prepared the write in flight
    bool posted_ = false;
    bool writing_ = false;
    bool waiting_direct_ = false;
    std::size_t prepared_size_ = 0;    // of the write in flight
    std::size_t prepared_payload_ = 0; // of which payload
};

// --- a listener's instances ---------------------------------------------------------
// The end of one instance's ConnectNamedPipe: the instance is connected (or
// idle again), idle ones are armed again, and a waiting accept is woken.
template <class State>
class ConnectDone {
public:
    ConnectDone(std::shared_ptr<State> state, std::size_t index, unsigned number)
        : ticket_(state), state_(std::move(state)), index_(index), number_(number),
          generation_(state_->generation()) {}

    void operator()(net_error_code ec, std::size_t) {
        ticket_.punch();
        std::lock_guard lock(state_->readiness().listener_mutex());
        if (!state_->is_open() || state_->generation() != generation_)
            return; // closed or released meanwhile: the instance is not ours now
        PortAccess::connect_finished(state_->sync(), index_, static_cast<unsigned long>(ec.value()), number_);
        if (state_->readiness().accepts() == 0)
            return; // a client that came waits for the next accept, marked connected
        arm_instances(state_);
        state_->readiness().signal_accept();
    }

private:
    KernelTicket<State> ticket_;
    std::shared_ptr<State> state_;
    std::size_t index_;
    unsigned number_; // which of the slot's connects
    unsigned generation_;
};

// After an accept: unless another has begun by the time the handlers that
// are ready have run (an accept loop starts the next one in its handler),
// the instances' connects are cancelled. A pending ConnectNamedPipe is
// outstanding work for the io_context: left armed, an open listener would
// keep run() from returning, which Asio's sockets never do. Clients still
// connect meanwhile (an instance listens from its creation); the next
// accept finds them with ERROR_PIPE_CONNECTED.
template <class State>
void disarm_when_idle(const std::shared_ptr<State>& state) {
    net::post(state->get_executor(), [state] {
        std::lock_guard lock(state->readiness().listener_mutex());
        if (state->is_open() && state->readiness().accepts() == 0)
            PortAccess::cancel_connects(state->sync());
    });
}

// Binds every idle instance to the port and starts its connect. True when
// one found a client already there (ERROR_PIPE_CONNECTED).
template <class State>
bool arm_instances(const std::shared_ptr<State>& state) {
    auto& listener = state->sync();
    bool connected = false;
    const std::size_t count = PortAccess::instance_count(listener);
    for (std::size_t i = 0; i < count; ++i) {
        bool needs_bind = false;
        const HANDLE pipe = static_cast<HANDLE>(PortAccess::idle_instance(listener, i, needs_bind));
        if (pipe == nullptr)
            continue;
        std::error_code ec;
        if (needs_bind && !state->readiness().bind(pipe, ec))
            continue; // tried again at the next accept
        net::windows::overlapped_ptr ptr(state->get_executor(),
                                         ConnectDone<State>(state, i, PortAccess::next_connect_number(listener, i)));
        const unsigned long error = PortAccess::start_connect(listener, i, ptr.get());
        if (error == 0)
            ptr.release();
        else if (error == ERROR_PIPE_CONNECTED)
            connected = true; // no completion comes; ptr's handler goes unrun
    }
    return connected;
}

// Starts `attempt` as an Asio operation with completion signature
// `Signature`, for any completion token.
template <class Signature, class State, class Attempt, class Token>
auto start_attempt(const std::shared_ptr<State>& state, Direction direction, Attempt&& attempt, Token&& token) {
    return net::async_compose<Token, Signature>(
        PortOp<State, std::decay_t<Attempt>>(state, direction, std::forward<Attempt>(attempt)), token,
        state->get_executor());
}

} // namespace localsock::asio_detail

// The resumption handler runs where the operation would: on its
// associated executor (a strand, say), with its allocator.
template <template <class, class> class Associator, class State, class Self, class Default>
struct localsock::net::associator<Associator, localsock::asio_detail::PortResume<State, Self>, Default> {
    using type = typename Associator<Self, Default>::type;
    static type get(const localsock::asio_detail::PortResume<State, Self>& handler,
                    const Default& fallback = Default()) noexcept {
        return Associator<Self, Default>::get(handler.inner(), fallback);
    }
};
// (A write's allocator is its member allocator_type, which Asio takes first.)
template <template <class, class> class Associator, class State, class Self, class Default>
struct localsock::net::associator<Associator, localsock::asio_detail::PortWriteResume<State, Self>, Default>
    : localsock::net::associator<Associator, localsock::asio_detail::PortResume<State, Self>, Default> {};
