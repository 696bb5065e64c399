// LocalListener on POSIX: a listening AF_UNIX stream socket.
#include "address.hpp"
#include "descriptor.hpp"
#include "socket_file.hpp"
#include "stream_impl.hpp"

#include <localsock/error.hpp>
#include <localsock/listener.hpp>

#include <new>

#include <sys/socket.h>
#include <unistd.h>

namespace localsock {

struct LocalListener::Impl {
    OwnedHandle socket;
    LocalSocketName name;
    // The socket file this listener created; removed on close if still there.
    std::optional<posix::FileIdentity> own_file;
    bool nonblocking = false;
    bool handle_passing = true;

    ~Impl() {
        // Before the socket closes (members are destroyed after this body),
        // so the path never names a dead socket of ours.
        if (own_file)
            posix::remove_socket_file_if_same(name.value(), *own_file);
    }
};

namespace {

bool bind_with_reclaim(int fd, const LocalSocketName& name, const posix::SocketAddress& address,
                       bool reclaim, std::error_code& ec) noexcept {
    if (::bind(fd, address.get(), address.length) == 0)
        return true;
    if (errno == EADDRINUSE && reclaim && posix::is_stale_socket(name.value(), address)) {
        ::unlink(name.value().c_str());
        if (::bind(fd, address.get(), address.length) == 0)
            return true;
    }
    ec = posix::last_error();
    return false;
}

std::unique_ptr<LocalListener::Impl> bind_listener(const LocalSocketName& name, const ListenerOptions& options,
                                                   std::error_code& ec) noexcept {
    if (name.empty()) {
        ec = errc::empty_name;
        return nullptr;
    }
    if (!options.security_descriptor.empty()) { // a Windows notion; POSIX has `mode`
        ec = std::make_error_code(std::errc::not_supported);
        return nullptr;
    }
    auto impl = std::unique_ptr<LocalListener::Impl>(new (std::nothrow) LocalListener::Impl);
    if (!impl) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return nullptr;
    }
    try {
        impl->name = name;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return nullptr;
    }
    impl->handle_passing = options.handle_passing;
    impl->socket = posix::open_socket(SOCK_STREAM, ec);
    if (ec)
        return nullptr;
    const int fd = impl->socket.get();
    const bool on_disk = name.is_filesystem();
    const bool set_mode = on_disk && options.mode.has_value();
    if (set_mode && !posix::restrict_mode_before_bind(fd, *options.mode, ec))
        return nullptr;

    {
        posix::ReclaimLock lock;
        if (on_disk && options.reclaim_stale) {
            lock = posix::ReclaimLock::acquire(name.value(), ec);
            if (ec)
                return nullptr;
        }
        if (!bind_with_reclaim(fd, name, posix::to_address(name), on_disk && options.reclaim_stale, ec))
            return nullptr;
        if (on_disk) {
            impl->own_file = posix::identify_socket_file(name.value());
            if (set_mode && !posix::apply_mode_after_bind(name.value(), *options.mode, ec))
                return nullptr;
        }
        // Listen while still holding the lock: the next reclaimer must find a
        // live socket, not a bound-but-refusing one it would take for stale.
        if (::listen(fd, options.backlog) != 0) {
            ec = posix::last_error();
            return nullptr;
        }
    }
    if (options.nonblocking) {
        if (!posix::set_nonblocking(fd, true, ec))
            return nullptr;
        impl->nonblocking = true;
    }
    return impl;
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
    return LocalListener(bind_listener(name, options, ec));
}

LocalListener LocalListener::adopt(OwnedHandle handle, std::error_code& ec) noexcept {
    ec.clear();
    const int fd = handle.get();
    int listening = 0;
    socklen_t listening_length = sizeof listening;
    int type = 0;
    socklen_t type_length = sizeof type;
    sockaddr_un local{};
    socklen_t local_length = sizeof local;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &listening_length) != 0 || listening == 0 ||
        ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_length) != 0 || type != SOCK_STREAM ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) != 0 ||
        local.sun_family != AF_UNIX) {
        ec = errc::not_a_listener;
        return {};
    }
    if (!posix::adopt_descriptor(fd, ec))
        return {};
    try {
        auto impl = std::make_unique<Impl>();
        impl->name = posix::from_address(local, local_length);
        impl->socket = std::move(handle);
        impl->nonblocking = posix::is_nonblocking(fd);
        return LocalListener(std::move(impl));
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

bool LocalListener::is_open() const noexcept { return impl_ && impl_->socket.valid(); }

const LocalSocketName& LocalListener::local_name() const noexcept {
    static const LocalSocketName none;
    return impl_ ? impl_->name : none;
}

LocalStream LocalListener::accept(std::error_code& ec) noexcept {
    ec.clear();
    if (!is_open()) {
        ec = posix::not_open();
        return {};
    }
    OwnedHandle client = posix::accept_connection(impl_->socket.get(), ec);
    if (ec) {
        if (ec == std::errc::resource_unavailable_try_again)
            ec = std::make_error_code(std::errc::operation_would_block);
        return {};
    }
    try {
        auto stream = std::make_unique<LocalStream::Impl>();
        stream->socket = std::move(client);
        stream->name = impl_->name;
        stream->handle_passing = impl_->handle_passing;
        return LocalStream(std::move(stream));
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

void LocalListener::set_nonblocking(bool nonblocking, std::error_code& ec) noexcept {
    ec.clear();
    if (!is_open())
        ec = posix::not_open();
    else if (posix::set_nonblocking(impl_->socket.get(), nonblocking, ec))
        impl_->nonblocking = nonblocking;
}

native_handle_type LocalListener::native_handle() const noexcept {
    return impl_ ? impl_->socket.get() : invalid_native_handle;
}

OwnedHandle LocalListener::release() noexcept {
    if (!impl_)
        return {};
    impl_->own_file.reset();
    OwnedHandle socket = std::move(impl_->socket);
    impl_.reset();
    return socket;
}

} // namespace localsock
