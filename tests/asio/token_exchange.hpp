// Async test support: exchanges of handles — one message between two async
// objects, and the exchange both ways that the token tests run between a
// server (async, in the test) and a client child process (sync).
#pragma once

#include "async_support.hpp"

#include "../support/process.hpp"
#include "../support/resources.hpp"

#include <localsock/localsock.hpp>

#include <doctest/doctest.h>

#include <array>
#include <initializer_list>
#include <span>
#include <iterator>
#include <string_view>
#include <vector>

namespace testing::exchange {

using namespace localsock;

// The exchange both sides follow. The client sends "c" with a file holding
// "from client" and the write end of a pipe it keeps reading; the server
// reads the file, writes "server was here" into the pipe and answers "s"
// with a file holding "from server" and the write end of its own pipe; the
// client reads that file and writes "client was here" into the server's
// pipe. Each side proves it got working handles by what the other one finds.
constexpr std::string_view client_file = "from client";
constexpr std::string_view server_file = "from server";
constexpr std::string_view server_mark = "server was here";
constexpr std::string_view client_mark = "client was here";

// The client's side of the exchange over a sync socket; `send` and
// `receive` adapt it to the socket type.
template <class Send, class Receive>
inline void client_exchange(Send send, Receive receive) {
    auto [pipe_read, pipe_write] = testing::make_pipe();
    OwnedHandle file = testing::file_with(client_file);
    send({file.borrow(), pipe_write.borrow()});
    pipe_write.reset();
    file.reset();
    std::vector<OwnedHandle> handles = receive();
    CHILD_REQUIRE(handles.size() == 2);
    CHILD_REQUIRE(testing::read_handle(pipe_read, server_mark.size()) == server_mark);
    CHILD_REQUIRE(testing::pipe_at_end(pipe_read)); // the server closed its copy
    CHILD_REQUIRE(testing::read_whole_file(handles[0]) == server_file);
    testing::write_handle(handles[1], client_mark);
}

// The server's side, after it received the client's handles: check and use
// them, and make what it answers with. Returns {the answer's handles, the
// read end of its own pipe}.
struct ServerAnswer {
    std::vector<OwnedHandle> handles;
    OwnedHandle pipe_read;
};
inline ServerAnswer use_client_handles(std::vector<OwnedHandle>& received) {
    REQUIRE(received.size() == 2);
    CHECK(testing::read_whole_file(received[0]) == client_file);
    testing::write_handle(received[1], server_mark);
    received.clear();
    auto [pipe_read, pipe_write] = testing::make_pipe();
    ServerAnswer answer;
    answer.handles.push_back(testing::file_with(server_file));
    answer.handles.push_back(std::move(pipe_write));
    answer.pipe_read = std::move(pipe_read);
    return answer;
}

inline void check_client_used(ServerAnswer& answer) {
    answer.handles.clear(); // the sender keeps what it lent: close our copies
    CHECK(testing::read_handle(answer.pipe_read, client_mark.size()) == client_mark);
    CHECK(testing::pipe_at_end(answer.pipe_read)); // the client closed its copy too
}

// One message with a handle from `from` to `to` (both async objects, any
// kind), received and used.
template <class From, class To>
void exchange(net::io_context& context, From& from, To& to, const char* text) {
    OwnedHandle file = testing::file_with(text);
    const std::array<BorrowedHandle, 1> lent{file.borrow()};
    std::array<char, 64> in{};
    std::vector<OwnedHandle> handles;
    testing::run_coroutine(context, [&]() -> net::awaitable<void> {
        co_await from.async_send(net::buffer(text, 1), std::span<const BorrowedHandle>(lent), net::use_awaitable);
        (void)co_await to.async_receive(net::buffer(in), handles, net::use_awaitable);
    });
    CHECK(in[0] == text[0]);
    REQUIRE(handles.size() == 1);
    CHECK(testing::read_whole_file(handles[0]) == text);
}

// How many exchanges the client child makes: one per token kind.
inline constexpr std::size_t token_kinds = std::size(testing::all_token_kinds);

} // namespace testing::exchange
