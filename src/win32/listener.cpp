// LocalListener on Windows: a pool of named-pipe instances, each waiting for
// a client, so that clients can connect before accept() as with a POSIX
// backlog, and a fresh instance always waits so a client never finds the
// name missing between two accepts.
#include "security.hpp"
#include "stream_impl.hpp"

#include <localsock/error.hpp>
#include <localsock/listener.hpp>

#include <algorithm>
#include <new>
#include <vector>

namespace localsock {
namespace {

constexpr DWORD pipe_buffer_size = 65536;
// WaitForMultipleObjects waits for at most 64; a backlog this deep is plenty.
constexpr std::size_t max_waiting_instances = 16;

// One pipe instance and its pending ConnectNamedPipe. The OVERLAPPED must
// keep its address while the connect is pending: instances live on the heap
// and never move.
struct Instance {
    OwnedHandle pipe;
    win32::Overlapped connect_io;
    bool pending = false;   // ConnectNamedPipe in flight
    bool connected = false; // a client arrived before ConnectNamedPipe was called
};

} // namespace

struct LocalListener::Impl {
    LocalSocketName name;
    std::wstring path;
    win32::SecurityAttributes security;
    std::vector<std::unique_ptr<Instance>> instances;
    std::size_t waiting = 1; // how many instances to keep
    bool nonblocking = false;
    bool handle_passing = true;

    ~Impl() {
        for (const auto& instance : instances)
            cancel(*instance);
    }

    static void cancel(Instance& instance) noexcept {
        if (!instance.pending)
            return;
        ::CancelIoEx(instance.pipe.get(), instance.connect_io.get());
        DWORD ignored = 0;
        ::GetOverlappedResult(instance.pipe.get(), instance.connect_io.get(), &ignored, TRUE);
        instance.pending = false;
    }
};

namespace {

// Gives `instance` a new pipe instance and starts waiting for a client on it.
bool arm(LocalListener::Impl& l, Instance& instance, bool first, std::error_code& ec) noexcept {
    const DWORD open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
    instance.pipe = win32::own(::CreateNamedPipeW(
        l.path.c_str(), open_mode, PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
        PIPE_UNLIMITED_INSTANCES, pipe_buffer_size, pipe_buffer_size, 0, l.security.get()));
    if (!instance.pipe) {
        const DWORD error = ::GetLastError();
        // FILE_FLAG_FIRST_PIPE_INSTANCE on a name that exists: someone has it.
        ec = first && error == ERROR_ACCESS_DENIED ? std::make_error_code(std::errc::address_in_use)
                                                   : win32::make_error(error);
        return false;
    }
    for (;;) {
        instance.connect_io.reset();
        if (::ConnectNamedPipe(instance.pipe.get(), instance.connect_io.get()))
            break; // connected at once
        const DWORD error = ::GetLastError();
        if (error == ERROR_IO_PENDING) {
            instance.pending = true;
            break;
        }
        if (error == ERROR_PIPE_CONNECTED) {
            instance.connected = true;
            ::SetEvent(instance.connect_io.get()->hEvent); // so the wait in accept() sees it
            break;
        }
        if (error == ERROR_NO_DATA) { // a client came and already left
            ::DisconnectNamedPipe(instance.pipe.get());
            continue;
        }
        ec = win32::make_error(error);
        return false;
    }
    return true;
}

// Adds an instance (with its event) to the pool and arms it.
bool add_instance(LocalListener::Impl& l, bool first, std::error_code& ec) noexcept {
    std::unique_ptr<Instance> owner(new (std::nothrow) Instance);
    if (!owner) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return false;
    }
    Instance& instance = *owner;
    if (!instance.connect_io.open(ec) || !arm(l, instance, first, ec))
        return false;
    try {
        l.instances.push_back(std::move(owner));
    } catch (const std::bad_alloc&) {
        LocalListener::Impl::cancel(instance);
        ec = std::make_error_code(std::errc::not_enough_memory);
        return false;
    }
    return true;
}

// True if any process serves a pipe of that name. FILE_FLAG_FIRST_PIPE_INSTANCE
// decides atomically on Windows; Wine ignores that flag, and this check keeps
// a second listener off a taken name there too.
bool name_taken(const std::wstring& path) noexcept {
    return ::WaitNamedPipeW(path.c_str(), 1) || ::GetLastError() != ERROR_FILE_NOT_FOUND;
}

} // namespace

LocalListener::LocalListener() noexcept = default;
LocalListener::LocalListener(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
LocalListener::LocalListener(LocalListener&&) noexcept = default;
LocalListener& LocalListener::operator=(LocalListener&&) noexcept = default;
LocalListener::~LocalListener() = default;

LocalListener LocalListener::bind(const LocalSocketName& name, const ListenerOptions& options,
                                  std::error_code& ec) noexcept {
    ec.clear();
    if (name.empty()) {
        ec = errc::empty_name;
        return {};
    }
    try {
        auto impl = std::make_unique<Impl>();
        impl->name = name;
        impl->path = win32::pipe_path(name);
        impl->nonblocking = options.nonblocking;
        impl->handle_passing = options.handle_passing;
        impl->waiting = std::clamp<std::size_t>(static_cast<std::size_t>(std::max(options.backlog, 1)), 1,
                                                max_waiting_instances);
        impl->instances.reserve(impl->waiting);
        if (!impl->security.open(options.security_descriptor, ec))
            return {};
        if (name_taken(impl->path)) {
            ec = std::make_error_code(std::errc::address_in_use);
            return {};
        }
        for (std::size_t i = 0; i < impl->waiting; ++i)
            if (!add_instance(*impl, i == 0, ec))
                return {};
        return LocalListener(std::move(impl));
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

LocalListener LocalListener::adopt(OwnedHandle handle, std::error_code& ec) noexcept {
    (void)handle; // a pipe instance is not a listener that can be handed over
    ec = std::make_error_code(std::errc::not_supported);
    return {};
}

bool LocalListener::is_open() const noexcept { return impl_ != nullptr; }

const LocalSocketName& LocalListener::local_name() const noexcept {
    static const LocalSocketName none;
    return impl_ ? impl_->name : none;
}

LocalStream LocalListener::accept(std::error_code& ec) noexcept {
    ec.clear();
    if (!impl_) {
        ec = win32::not_open();
        return {};
    }
    Impl& l = *impl_;
    // Top the pool up first (an earlier accept may have failed to).
    while (l.instances.size() < l.waiting)
        if (!add_instance(l, false, ec))
            return {};
    HANDLE events[max_waiting_instances];
    for (;;) {
        for (std::size_t i = 0; i < l.instances.size(); ++i)
            events[i] = l.instances[i]->connect_io.get()->hEvent;
        const DWORD woke = ::WaitForMultipleObjects(static_cast<DWORD>(l.instances.size()), events, FALSE,
                                                    l.nonblocking ? 0 : INFINITE);
        if (woke == WAIT_TIMEOUT) {
            ec = std::make_error_code(std::errc::operation_would_block); // the connects stay pending
            return {};
        }
        if (woke >= WAIT_OBJECT_0 + l.instances.size()) {
            ec = win32::last_error();
            return {};
        }
        Instance& instance = *l.instances[woke - WAIT_OBJECT_0];
        DWORD error = 0;
        if (instance.pending) {
            instance.pending = false;
            DWORD ignored = 0;
            if (!::GetOverlappedResult(instance.pipe.get(), instance.connect_io.get(), &ignored, FALSE))
                error = ::GetLastError();
        }
        instance.connected = false;
        if (error == ERROR_NO_DATA || error == ERROR_BROKEN_PIPE) {
            // The client came and went before we saw it: wait on this
            // instance again (a new ConnectNamedPipe blocks; no spinning).
            ::DisconnectNamedPipe(instance.pipe.get());
            instance.connect_io.reset();
            if (::ConnectNamedPipe(instance.pipe.get(), instance.connect_io.get()) ||
                ::GetLastError() == ERROR_PIPE_CONNECTED)
                ::SetEvent(instance.connect_io.get()->hEvent);
            else
                instance.pending = ::GetLastError() == ERROR_IO_PENDING;
            continue;
        }
        if (error != 0 && error != ERROR_PIPE_CONNECTED) {
            ec = win32::make_error(error);
            return {};
        }
        OwnedHandle connected = std::move(instance.pipe);
        // A fresh pipe instance in its place before anything else (the slot
        // and its event are reused); if that fails, the slot goes and the
        // next accept() tries again and reports it.
        std::error_code refill;
        if (!arm(l, instance, false, refill))
            l.instances.erase(l.instances.begin() + (woke - WAIT_OBJECT_0));
        return LocalStream(win32::make_stream(std::move(connected), l.name, true, l.handle_passing, ec));
    }
}

void LocalListener::set_nonblocking(bool nonblocking, std::error_code& ec) noexcept {
    ec.clear();
    if (!impl_)
        ec = win32::not_open();
    else
        impl_->nonblocking = nonblocking;
}

native_handle_type LocalListener::native_handle() const noexcept {
    return impl_ && !impl_->instances.empty() ? impl_->instances.front()->pipe.get() : invalid_native_handle;
}

OwnedHandle LocalListener::release() noexcept {
    if (!impl_ || impl_->instances.empty())
        return {};
    Impl::cancel(*impl_->instances.front());
    OwnedHandle instance = std::move(impl_->instances.front()->pipe);
    impl_.reset();
    return instance;
}

} // namespace localsock
