#include "instance_pool.hpp"

#include "overlapped.hpp"

#include <algorithm>
#include <new>

namespace localsock::win32 {

// The OVERLAPPED must keep its address while the connect is pending:
// instances live on the heap and never move.
void Instance::cancel() noexcept {
    if (!pending)
        return;
    pending = false;
    if (port_io != nullptr) { // the port's: its event says when it is over
        ::CancelIoEx(pipe.get(), port_io);
        ::WaitForSingleObject(connect_io.event(), INFINITE);
        port_io = nullptr;
        return;
    }
    connect_io.cancel(pipe.get());
}

bool Instance::listen(std::error_code& ec) noexcept {
    for (;;) {
        connect_io.reset();
        if (::ConnectNamedPipe(pipe.get(), connect_io.get()))
            return true; // connected at once
        const DWORD error = ::GetLastError();
        if (error == ERROR_IO_PENDING) {
            pending = true;
            return true;
        }
        if (error == ERROR_PIPE_CONNECTED) { // a client came before ConnectNamedPipe
            ::SetEvent(connect_io.event()); // so the wait in accept() sees it
            return true;
        }
        if (error != ERROR_NO_DATA) {
            ec = make_error(error);
            return false;
        }
        ::DisconnectNamedPipe(pipe.get()); // a client came and already left
    }
}

namespace {
// WaitForMultipleObjects waits for at most 64; a backlog this deep is plenty.
constexpr std::size_t max_waiting_instances = 16;
} // namespace

InstancePool::InstancePool() noexcept = default;

InstancePool::~InstancePool() {
    for (const auto& instance : instances_)
        instance->cancel();
}

// Gives `instance` a new pipe instance and starts waiting for a client on it.
bool InstancePool::arm(Instance& instance, bool first, std::error_code& ec) noexcept {
    instance.pipe = create_instance(path_, type_, first, PIPE_UNLIMITED_INSTANCES, security_.get(), ec);
    instance.port_bound = false;
    instance.connected = false;
    if (port_mode_) // the Asio listener binds it and starts its connect
        return static_cast<bool>(instance.pipe);
    return instance.pipe && instance.listen(ec);
}

void InstancePool::set_port_mode(bool on) noexcept {
    if (on == port_mode_)
        return;
    port_mode_ = on;
    for (const auto& owner : instances_) {
        Instance& instance = *owner;
        if (!instance.pipe)
            continue;
        if (on) {
            // Take the event-based connect over: a client that came already
            // is kept (connected), the others wait for the port's connect.
            if (instance.pending) {
                const IoResult r = instance.connect_io.cancel(instance.pipe.get());
                instance.pending = false;
                instance.connected = r.completed();
            } else {
                instance.connected = true; // ERROR_PIPE_CONNECTED when it was armed
            }
        } else {
            instance.cancel(); // the port's connect, if any
            std::error_code ignored;
            if (instance.connected) {
                instance.connected = false;
                ::SetEvent(instance.connect_io.event()); // accept() takes it
            } else {
                instance.listen(ignored); // ERROR_PIPE_CONNECTED if a client came meanwhile
            }
        }
    }
}

// Adds an instance (with its event) to the pool and arms it.
bool InstancePool::add_instance(bool first, std::error_code& ec) noexcept {
    std::unique_ptr<Instance> owner(new (std::nothrow) Instance);
    if (!owner) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return false;
    }
    Instance& instance = *owner;
    if (!instance.connect_io.open(ec) || !arm(instance, first, ec))
        return false;
    try {
        instances_.push_back(std::move(owner));
    } catch (const std::bad_alloc&) {
        instance.cancel();
        ec = std::make_error_code(std::errc::not_enough_memory);
        return false;
    }
    return true;
}

bool InstancePool::open(const LocalSocketName& name, const ListenerOptions& options, PipeType type,
                        std::error_code& ec) noexcept {
    try {
        path_ = pipe_path(name);
        type_ = type;
        waiting_ = std::clamp<std::size_t>(static_cast<std::size_t>(std::max(options.backlog, 1)), 1,
                                           max_waiting_instances);
        instances_.reserve(waiting_);
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return false;
    }
    if (!security_.open(options.security_descriptor, ec))
        return false;
    if (name_taken(path_)) {
        ec = std::make_error_code(std::errc::address_in_use);
        return false;
    }
    for (std::size_t i = 0; i < waiting_; ++i)
        if (!add_instance(i == 0, ec))
            return false;
    return true;
}

OwnedHandle InstancePool::accept(bool nonblocking, DWORD timeout, std::error_code& ec, bool& port_bound) noexcept {
    port_bound = false;
    if (port_mode_) {
        // A slot whose instance could not be created is filled again here
        // (port mode keeps slots: the port's handlers know them by index).
        for (const auto& owner : instances_)
            if (!owner->pipe && !arm(*owner, false, ec))
                return {};
        while (instances_.size() < waiting_)
            if (!add_instance(false, ec))
                return {};
        for (const auto& owner : instances_) {
            Instance& instance = *owner;
            if (!instance.connected)
                continue;
            OwnedHandle connected = std::move(instance.pipe);
            port_bound = instance.port_bound;
            // A fresh instance in its place before the connection is handed
            // out; if that fails, the next accept() tries again.
            std::error_code refill;
            arm(instance, false, refill);
            return connected;
        }
        ec = std::make_error_code(std::errc::operation_would_block);
        return {};
    }
    // A deadline, not a timeout per wait: a client that comes and goes must
    // not restart it.
    const ULONGLONG deadline = ::GetTickCount64() + timeout;
    // Top the pool up first (an earlier accept may have failed to).
    while (instances_.size() < waiting_)
        if (!add_instance(false, ec))
            return {};
    HANDLE events[max_waiting_instances];
    for (;;) {
        for (std::size_t i = 0; i < instances_.size(); ++i)
            events[i] = instances_[i]->connect_io.event();
        DWORD wait = nonblocking ? 0 : timeout;
        if (!nonblocking && timeout != INFINITE) {
            const ULONGLONG now = ::GetTickCount64();
            wait = now >= deadline ? 0 : static_cast<DWORD>(deadline - now);
        }
        const DWORD woke = ::WaitForMultipleObjects(static_cast<DWORD>(instances_.size()), events, FALSE, wait);
        if (woke == WAIT_TIMEOUT) { // the connects stay pending
            ec = std::make_error_code(nonblocking ? std::errc::operation_would_block : std::errc::timed_out);
            return {};
        }
        if (woke >= WAIT_OBJECT_0 + instances_.size()) {
            ec = last_error();
            return {};
        }
        const std::size_t index = woke - WAIT_OBJECT_0;
        Instance& instance = *instances_[index];
        DWORD error = 0;
        if (instance.pending) {
            instance.pending = false;
            DWORD ignored = 0;
            if (!::GetOverlappedResult(instance.pipe.get(), instance.connect_io.get(), &ignored, FALSE))
                error = ::GetLastError();
        }
        if (error == ERROR_NO_DATA || error == ERROR_BROKEN_PIPE) {
            // The client came and went before we saw it: wait on this
            // instance again (a new ConnectNamedPipe blocks; no spinning).
            ::DisconnectNamedPipe(instance.pipe.get());
            std::error_code relisten;
            if (!instance.listen(relisten)) {
                ec = relisten;
                return {};
            }
            continue;
        }
        if (error != 0 && error != ERROR_PIPE_CONNECTED) {
            ec = make_error(error);
            return {};
        }
        OwnedHandle connected = std::move(instance.pipe);
        // A fresh pipe instance in its place before anything else (the slot
        // and its event are reused); if that fails, the slot goes and the
        // next accept() tries again and reports it.
        std::error_code refill;
        if (!arm(instance, false, refill))
            instances_.erase(instances_.begin() + static_cast<std::ptrdiff_t>(index));
        return connected;
    }
}

HANDLE InstancePool::native_handle() const noexcept {
    return instances_.empty() ? invalid_native_handle : instances_.front()->pipe.get();
}

OwnedHandle InstancePool::release() noexcept {
    if (instances_.empty())
        return {};
    instances_.front()->cancel();
    return std::move(instances_.front()->pipe);
}

} // namespace localsock::win32
