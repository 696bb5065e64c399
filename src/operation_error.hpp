// Private: turning an error code into the exception of a throwing form.
#pragma once

#include <localsock/error.hpp>
#include <localsock/message.hpp>
#include <localsock/name.hpp>

#include <cstddef>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace localsock::detail {

// throw_operation_error (declared in <localsock/error.hpp>, exported for
// values.hpp) throws std::system_error whose message names the operation and
// the socket: "localsock: connect '@bus': Connection refused".

// The same exception with a context of the caller's own ("localsock: socket
// name 'x'"): what() is "<context>: <error_message(ec)>".
[[noreturn]] void throw_error(std::error_code ec, const std::string& context);

inline void throw_if_error(std::error_code ec, std::string_view operation, const LocalSocketName& name) {
    if (ec)
        throw_operation_error(ec, operation, name);
}

// A cleared error code without the out-of-line std::system_category() call
// that `std::error_code ec;` makes: for the throwing forms' per-call code.
// (A function-local static: safe even from a user's static initializers.)
inline const std::error_category& cached_system_category() noexcept {
    static const std::error_category& category = std::system_category();
    return category;
}
inline std::error_code no_error() noexcept { return {0, cached_system_category()}; }

// ec.clear() calls std::system_category() out of line; on the per-message
// paths an error code that is already clear is left as it is.
inline void clear(std::error_code& ec) noexcept {
    if (ec) [[unlikely]]
        ec.clear();
}

// The message text alone, for exceptions that carry more than a code.
std::string describe_operation(std::string_view operation, const LocalSocketName& name);

// A receive that delivered its data but closed the handles that came:
// errc::handles_truncated, errc::control_truncated, errc::out_of_handles.
inline bool is_receive_truncation(std::error_code ec) noexcept {
    return ec == errc::handles_truncated || ec == errc::control_truncated || ec == errc::out_of_handles;
}

// Like throw_operation_error, but a truncation (is_receive_truncation)
// throws HandlesTruncatedError carrying `bytes`.
[[noreturn]] void throw_receive_error(std::error_code ec, std::size_t bytes, std::string_view operation,
                                      const LocalSocketName& name);

template <class Result>
[[noreturn]] void throw_result_error(std::error_code ec, const Result&, std::string_view operation,
                                     const LocalSocketName& name) {
    throw_operation_error(ec, operation, name);
}
[[noreturn]] inline void throw_result_error(std::error_code ec, std::size_t bytes, std::string_view operation,
                                            const LocalSocketName& name) {
    throw_receive_error(ec, bytes, operation, name);
}
[[noreturn]] inline void throw_result_error(std::error_code ec, const ReceiveResult& result,
                                            std::string_view operation, const LocalSocketName& name) {
    throw_receive_error(ec, result.bytes, operation, name);
}

template <class Socket>
const LocalSocketName& name_of(const Socket& socket) noexcept {
    if constexpr (requires { socket.name(); })
        return socket.name();
    else
        return socket.local_name();
}

// The throwing close() of every class: the name is copied first, since a
// closed socket has none left to put in the message.
template <class Socket>
void close_or_throw(Socket& socket) {
    const LocalSocketName name = name_of(socket);
    std::error_code ec = no_error();
    socket.close(ec);
    throw_if_error(ec, "close", name);
}

// The throwing form of an operation: runs call(ec) and throws on error,
// naming the operation and the socket. The success path costs one branch;
// the socket's name is looked up only to build the message of an error.
template <class Socket, class Call>
auto or_throw(const Socket& socket, std::string_view operation, Call&& call) {
    std::error_code ec = no_error();
    if constexpr (std::is_void_v<std::invoke_result_t<Call&, std::error_code&>>) {
        call(ec);
        if (ec) [[unlikely]]
            throw_operation_error(ec, operation, name_of(socket));
    } else {
        auto result = call(ec);
        if (ec) [[unlikely]]
            throw_result_error(ec, result, operation, name_of(socket));
        return result;
    }
}

// The throwing form of a factory: the name is the one being opened.
template <class Call>
auto or_throw_opening(std::string_view operation, const LocalSocketName& name, Call&& call) {
    std::error_code ec = no_error();
    if constexpr (std::is_void_v<std::invoke_result_t<Call&, std::error_code&>>) {
        call(ec);
        if (ec) [[unlikely]]
            throw_operation_error(ec, operation, name);
    } else {
        auto result = call(ec);
        if (ec) [[unlikely]]
            throw_operation_error(ec, operation, name);
        return result;
    }
}

} // namespace localsock::detail
