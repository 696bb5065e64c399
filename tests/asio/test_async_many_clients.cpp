// Async tests: one single-threaded server, 256 concurrent clients in other
// processes, each passing handles that the server uses and hands back.
#include "async_support.hpp"

#include "../support/process.hpp"
#include "../support/resources.hpp"

#include <localsock/asio.hpp>
#include <localsock/localsock.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <sys/resource.h>

using namespace localsock;

namespace {

constexpr int client_processes = 4;
constexpr int clients_per_process = 64;
constexpr int total_clients = client_processes * clients_per_process;

std::string file_content(std::uint32_t id) { return "client " + std::to_string(id); }
std::string served_mark(std::uint32_t id) { return "served " + std::to_string(id) + ";"; }

// One client: connect; send its 4-byte id with a file and a pipe's write
// end; wait for the echo, which brings the same two handles back; check
// the server wrote into the pipe and the returned file is its own.
net::awaitable<void> client(LocalSocketName name, std::uint32_t id, int& done) {
    AsyncStream<> stream(co_await net::this_coro::executor);
    co_await stream.async_connect(name, net::use_awaitable);
    auto [pipe_read, pipe_write] = testing::make_pipe();
    {
        const OwnedHandle file = testing::file_with(file_content(id));
        const std::array<BorrowedHandle, 2> handles{file.borrow(), pipe_write.borrow()};
        const std::size_t sent =
            co_await stream.async_send(net::buffer(&id, sizeof id), std::span<const BorrowedHandle>(handles),
                                       net::use_awaitable);
        CHILD_REQUIRE(sent == sizeof id);
    }
    pipe_write.reset();

    std::uint32_t echoed = 0;
    std::vector<OwnedHandle> returned;
    const std::size_t n =
        co_await stream.async_receive(net::buffer(&echoed, sizeof echoed), returned, net::use_awaitable);
    CHILD_REQUIRE(n == sizeof echoed);
    CHILD_REQUIRE(echoed == id);
    CHILD_REQUIRE(returned.size() == 2);
    CHILD_REQUIRE(testing::read_whole_file(returned[0]) == file_content(id));
    const std::string mark = served_mark(id);
    CHILD_REQUIRE(testing::read_handle(pipe_read, mark.size()) == mark);
    ++done;
}

} // namespace

// Child: args[1] clients with ids from args[2], all at once, on one thread.
CHILD_ROLE(async_many_clients) {
    const LocalSocketName name = LocalSocketName::parse(args.at(0));
    const int count = std::stoi(args.at(1));
    const auto first = static_cast<std::uint32_t>(std::stoul(args.at(2)));
    net::io_context context;
    int done = 0;
    for (int i = 0; i < count; ++i)
        net::co_spawn(context, client(name, first + static_cast<std::uint32_t>(i), done), [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        });
    context.run();
    CHILD_REQUIRE(done == count);
    return 0;
}

namespace {

// The server's per-connection work: receive the id and the two handles,
// use them, then wait until every client has reached this point (so all of
// them are connected and in flight at once) before echoing.
struct Server {
    int received = 0;
    int answered = 0;
    int errors = 0;
    std::vector<std::uint32_t> ids_seen;
    net::steady_timer all_in;

    explicit Server(net::io_context& context) : all_in(context, net::steady_timer::time_point::max()) {}

    net::awaitable<void> serve(AsyncStream<> stream) {
        std::uint32_t id = 0;
        std::vector<OwnedHandle> handles;
        const std::size_t n = co_await stream.async_receive(net::buffer(&id, sizeof id), handles, net::use_awaitable);
        if (n != sizeof id || handles.size() != 2 || testing::read_whole_file(handles[0]) != file_content(id)) {
            ++errors;
            co_return;
        }
        testing::write_handle(handles[1], served_mark(id));
        ids_seen.push_back(id);
        if (++received == total_clients)
            all_in.cancel();
        else {
            net_error_code ignored;
            co_await all_in.async_wait(net::redirect_error(net::use_awaitable, ignored));
        }
        const std::size_t sent = co_await stream.async_send(net::buffer(&id, sizeof id),
                                                            std::span<const OwnedHandle>(handles), net::use_awaitable);
        if (sent == sizeof id)
            ++answered;
        else
            ++errors;
    }

    net::awaitable<void> accept_all(AsyncListener<>& listener) {
        for (int i = 0; i < total_clients; ++i) {
            AsyncStream<> stream = co_await listener.async_accept(net::use_awaitable);
            net::co_spawn(co_await net::this_coro::executor, serve(std::move(stream)), [this](std::exception_ptr e) {
                if (e)
                    ++errors;
            });
        }
    }
};

// The server holds ~3 descriptors per client at the peak; the children
// ~5. Make sure the soft limit allows that (it is inherited).
void raise_descriptor_limit() {
    rlimit limit{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
    if (limit.rlim_cur < 4096 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max < 4096 ? limit.rlim_max : 4096;
        REQUIRE(::setrlimit(RLIMIT_NOFILE, &limit) == 0);
    }
}

} // namespace

TEST_SUITE("async") {

TEST_CASE("async clients: 256 concurrent clients in 4 processes, handles used and returned, one thread") {
    raise_descriptor_limit();
    const testing::HandleLeakCheck leaks;
    const auto started = std::chrono::steady_clock::now();
    net::io_context context;
    const LocalSocketName name = testing::unique_namespaced_name("async-many");
    AsyncListener<> listener(context, LocalListener::bind(name));
    std::vector<testing::ChildProcess> children;
    for (int p = 0; p < client_processes; ++p)
        children.push_back(testing::ChildProcess::spawn(
            "async_many_clients",
            {name.to_string(), std::to_string(clients_per_process), std::to_string(p * clients_per_process)}));

    Server server(context);
    testing::run_coroutine(context, [&]() -> net::awaitable<void> { co_await server.accept_all(listener); });
    REQUIRE(testing::run_until(context, [&] { return server.answered + server.errors == total_clients; }));
    for (testing::ChildProcess& child : children)
        CHECK(child.wait() == 0);

    CHECK(server.errors == 0);
    CHECK(server.received == total_clients);
    CHECK(server.answered == total_clients);
    std::sort(server.ids_seen.begin(), server.ids_seen.end());
    for (int i = 0; i < total_clients; ++i)
        CHECK(server.ids_seen[static_cast<std::size_t>(i)] == static_cast<std::uint32_t>(i));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    MESSAGE("256 clients served in ", std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), " ms");
    CHECK(elapsed < std::chrono::seconds(10));
}

} // TEST_SUITE
