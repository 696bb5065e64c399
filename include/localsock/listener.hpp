// localsock: a server socket that hands out one LocalStream per client.
#pragma once

#include <localsock/config.hpp>
#include <localsock/handle.hpp>
#include <localsock/name.hpp>
#include <localsock/stream.hpp>

#include <chrono>
#include <filesystem>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

namespace localsock {

namespace detail {
struct CompletionPortAccess; // the Windows Asio backend's entries (asio/detail/port_access.hpp)
}

struct ListenerOptions {
    // Pending-connection queue length passed to listen().
    int backlog = 128;
    // accept() fails with std::errc::operation_would_block instead of waiting.
    bool nonblocking = false;
    // Accepted connections start in non-blocking mode, as if set_nonblocking
    // (true) had been called on each, without the extra system call (POSIX:
    // accept4 with SOCK_NONBLOCK). For event-loop servers.
    bool nonblocking_accepted = false;
    // Filesystem names: the socket file's permissions, exactly, from the
    // moment the file appears at the path (it is bound, given its mode and
    // listening in a private directory beside the path, then moved into
    // place). Unset: the umask decides. Namespaced names have no permissions
    // at all: setting a mode for one is std::errc::invalid_argument (check
    // peer credentials instead). Windows: ignored (see security_descriptor).
    std::optional<std::filesystem::perms> mode = std::nullopt;
    // Filesystem names: if the path holds a socket file nobody is bound to
    // any more (left by a dead server), replace it, atomically (the path is
    // never empty, no lock file). A live server's socket, one not accepting
    // yet, and anything that is not a socket are never touched: bind reports
    // address_in_use.
    bool reclaim_stale = false;
    // Whether accepted streams can carry handles; clients must connect with
    // the same setting (see ConnectOptions::handle_passing).
    bool handle_passing = true;
    // Windows: who may connect, as an SDDL string. Empty: the current user,
    // SYSTEM and administrators only (the analogue of a 0600 socket file).
    // POSIX: must be empty (use `mode`).
    std::string security_descriptor = {};
    // Windows: how accepted connections send handles, and whether they accept
    // pushed ones (see HandleTransfer, PushedHandles).
    HandleTransfer handle_transfer = HandleTransfer::automatic;
    PushedHandles pushed_handles = PushedHandles::accept_if_verified;
};

// Threads: accept() (and incoming()) in one thread at a time; clients may
// connect from any thread or process meanwhile. Every other call (settings,
// close, release, moving, destruction) needs the object to itself.
class LOCALSOCK_API LocalListener {
public:
    static LocalListener bind(const LocalSocketName& name, const ListenerOptions& options = {});
    static LocalListener bind(const LocalSocketName& name, std::error_code& ec) noexcept;
    static LocalListener bind(const LocalSocketName& name, const ListenerOptions& options,
                              std::error_code& ec) noexcept;

    // Takes over an inherited listening local socket (socket activation, a
    // parent process). It becomes close-on-exec; its socket file, if any, is
    // left alone on destruction because this listener did not create it.
    // errc::wrong_socket_type for a local socket of another type (a seqpacket
    // listener), errc::not_a_listener for anything else that is not a
    // listening local stream socket. POSIX only: not_supported on Windows.
    static LocalListener adopt(OwnedHandle handle);
    static LocalListener adopt(OwnedHandle handle, std::error_code& ec) noexcept;

    LocalListener() noexcept;
    LocalListener(LocalListener&&) noexcept;
    LocalListener& operator=(LocalListener&&) noexcept;
    // Closes the socket and removes the socket file it created, if the path
    // still refers to that file.
    ~LocalListener();

    bool is_open() const noexcept;
    explicit operator bool() const noexcept { return is_open(); }
    const LocalSocketName& local_name() const noexcept;

    LocalStream accept();
    LocalStream accept(std::error_code& ec) noexcept;

    void set_nonblocking(bool nonblocking);
    void set_nonblocking(bool nonblocking, std::error_code& ec) noexcept;
    // A blocking accept() that waits longer than this fails with
    // std::errc::timed_out; signals do not stretch it. Zero means wait
    // forever (the default).
    void set_accept_timeout(std::chrono::milliseconds timeout);
    void set_accept_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept;

    // Ends the listener now, as destruction would: removes the socket file it
    // created (if the path still refers to that file), closes the socket and
    // reports what closing reported. Afterwards is_open() is false and every
    // call fails with std::errc::bad_file_descriptor, a second close() too.
    void close();
    void close(std::error_code& ec) noexcept;

    native_handle_type native_handle() const noexcept;
    // Gives up the socket (the socket file then stays when it is closed).
    OwnedHandle release() noexcept;

    // `for (LocalStream client : listener.incoming())` accepts clients one by
    // one. Errors throw; on a non-blocking listener the range ends when no
    // client is waiting.
    class Incoming;
    Incoming incoming() noexcept;

    struct Impl;

private:
    explicit LocalListener(std::unique_ptr<Impl> impl) noexcept;
    friend struct detail::CompletionPortAccess;
    std::unique_ptr<Impl> impl_;
};

class LocalListener::Incoming {
public:
    class iterator {
    public:
        using value_type = LocalStream;
        using difference_type = std::ptrdiff_t;

        iterator() = default;
        // Each dereference hands over the accepted stream.
        LocalStream operator*() const { return std::move(current_); }
        iterator& operator++() {
            advance();
            return *this;
        }
        void operator++(int) { advance(); }
        friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept { return it.done_; }

    private:
        friend class Incoming;
        explicit iterator(LocalListener* listener) : listener_(listener) { advance(); }
        LOCALSOCK_API void advance();

        LocalListener* listener_ = nullptr;
        mutable LocalStream current_;
        bool done_ = true;
    };

    explicit Incoming(LocalListener& listener) noexcept : listener_(&listener) {}
    iterator begin() { return iterator(listener_); }
    std::default_sentinel_t end() const noexcept { return {}; }

private:
    LocalListener* listener_;
};

inline LocalListener::Incoming LocalListener::incoming() noexcept { return Incoming(*this); }

} // namespace localsock
