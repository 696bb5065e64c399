// Private: what LocalListener (byte-mode pipes) and LocalSeqpacketListener
// (message-mode pipes) are on Windows — a name and a pool of pipe instances
// (instance_pool.hpp) — and their bodies, written once for both (as
// src/posix/listening_socket.hpp does for the POSIX listeners).
#pragma once

#include "instance_pool.hpp"
#include "pipe_core.hpp"

#include <localsock/listener.hpp>
#include <localsock/seqpacket.hpp>

#include <chrono>
#include <memory>
#include <new>
#include <system_error>

namespace localsock::win32 {

struct ListeningPipe {
    LocalSocketName name;
    InstancePool pool;
    bool nonblocking = false;
    HandleRules rules;
    bool nonblocking_accepted = false; // accepted connections start non-blocking
    DWORD accept_timeout = INFINITE;
};

bool bind_listening(ListeningPipe& listener, PipeType type, const LocalSocketName& name,
                    const ListenerOptions& options, std::error_code& ec) noexcept;

// The Impl (derived from ListeningPipe) of a public listener class, bound;
// nullptr and `ec` on failure.
template <class Impl>
std::unique_ptr<Impl> open_listener(PipeType type, const LocalSocketName& name, const ListenerOptions& options,
                                    std::error_code& ec) noexcept {
    ec.clear();
    auto impl = std::unique_ptr<Impl>(new (std::nothrow) Impl);
    if (!impl)
        ec = std::make_error_code(std::errc::not_enough_memory);
    else if (!bind_listening(*impl, type, name, options, ec))
        impl.reset();
    return impl;
}

// The next client's pipe (would_block on a non-blocking listener with none),
// and whether it is bound to a completion port already.
OwnedHandle accept_next(ListeningPipe* listener, std::error_code& ec, bool& port_bound) noexcept;

// The next client, as the Impl of the connection class the listener hands out.
template <class Connection>
std::unique_ptr<Connection> accept_connection(ListeningPipe* listener, std::error_code& ec) noexcept {
    bool port_bound = false;
    OwnedHandle pipe = accept_next(listener, ec, port_bound);
    if (ec)
        return nullptr;
    auto connection = make_connection<Connection>(std::move(pipe), listener->name, true, listener->rules, ec);
    if (connection) {
        connection->nonblocking = listener->nonblocking_accepted;
        connection->port_bound = port_bound;
    }
    return connection;
}

void set_listener_nonblocking(ListeningPipe* listener, bool nonblocking, std::error_code& ec) noexcept;
void set_accept_timeout(ListeningPipe* listener, std::chrono::milliseconds timeout, std::error_code& ec) noexcept;

inline native_handle_type listener_handle(const ListeningPipe* listener) noexcept {
    return listener != nullptr ? listener->pool.native_handle() : invalid_native_handle;
}

// close() of both listener classes: the pool's instances close with it.
template <class Impl>
void close_listener(std::unique_ptr<Impl>& impl, std::error_code& ec) noexcept {
    ec.clear();
    if (!impl)
        ec = not_open();
    impl.reset();
}

// Gives up the first pipe instance; the others are closed with the listener.
template <class Impl>
OwnedHandle release_listener(std::unique_ptr<Impl>& impl) noexcept {
    if (!impl)
        return {};
    OwnedHandle instance = impl->pool.release();
    impl.reset();
    return instance;
}

} // namespace localsock::win32

namespace localsock {
// The public listener classes' Impls: a ListeningPipe each.
struct LocalListener::Impl : win32::ListeningPipe {};
struct LocalSeqpacketListener::Impl : win32::ListeningPipe {};
} // namespace localsock
