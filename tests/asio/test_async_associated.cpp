// Async tests: the handler's associated executor and allocator are honoured
// by every kind of operation (immediate and waiting completions alike).
#include "async_support.hpp"

#include "../support/resources.hpp"

#include <localsock/asio.hpp>
#include <localsock/localsock.hpp>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace localsock;
using namespace std::chrono_literals;

namespace {

// A std::allocator that counts what goes through it.
struct AllocationCounts {
    std::size_t allocations = 0;
    std::size_t deallocations = 0;
};
template <class T>
struct CountingAllocator {
    using value_type = T;
    AllocationCounts* counts;
    explicit CountingAllocator(AllocationCounts* c) noexcept : counts(c) {}
    template <class U>
    CountingAllocator(const CountingAllocator<U>& other) noexcept : counts(other.counts) {}
    T* allocate(std::size_t n) {
        ++counts->allocations;
        return std::allocator<T>().allocate(n);
    }
    void deallocate(T* p, std::size_t n) noexcept {
        ++counts->deallocations;
        std::allocator<T>().deallocate(p, n);
    }
    template <class U>
    bool operator==(const CountingAllocator<U>& other) const noexcept {
        return counts == other.counts;
    }
};

} // namespace

TEST_SUITE("async") {

TEST_CASE("async associations: a handler bound to a strand runs on that strand") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    auto strand = net::make_strand(context);
    auto [a, b] = LocalStream::pair();
    AsyncStream<> left(context, std::move(a));
    AsyncStream<> right(context, std::move(b));
    std::array<char, 4> in{};
    std::vector<OwnedHandle> handles;
    int on_strand = 0, done = 0;
    const auto check = [&] {
        if (strand.running_in_this_thread())
            ++on_strand;
        ++done;
    };
    // A receive that waits, then a send that completes at once.
    right.async_receive(net::buffer(in), handles,
                        net::bind_executor(strand, [&](net_error_code ec, std::size_t) {
                            CHECK_FALSE(ec);
                            check();
                        }));
    testing::run_for(context, 10ms);
    OwnedHandle file = testing::file_with("s");
    const std::array<BorrowedHandle, 1> lent{file.borrow()};
    left.async_send(net::buffer("abcd", 4), std::span<const BorrowedHandle>(lent),
                    net::bind_executor(strand, [&](net_error_code ec, std::size_t) {
                        CHECK_FALSE(ec);
                        check();
                    }));
    // Accept (immediate) and connect (immediate) on a listener.
    const LocalSocketName name = testing::unique_namespaced_name("async-strand");
    AsyncListener<> listener(context, LocalListener::bind(name));
    AsyncStream<> client(context);
    std::optional<AsyncStream<>> served;
    client.async_connect(name, net::bind_executor(strand, [&](net_error_code ec) {
                             CHECK_FALSE(ec);
                             check();
                         }));
    listener.async_accept(net::bind_executor(strand, [&](net_error_code ec, AsyncStream<> s) {
        CHECK_FALSE(ec);
        served.emplace(std::move(s));
        check();
    }));
    REQUIRE(testing::run_until(context, [&] { return done == 4; }));
    CHECK(on_strand == 4);
    REQUIRE(handles.size() == 1);
    CHECK(testing::read_whole_file(handles[0]) == "s");
}

TEST_CASE("async associations: completions come through the io_context, immediate or not") {
    // As Asio's own sockets do: an operation completes on the I/O object's
    // executor and is dispatched from there to the handler's executor. A
    // handler bound to the system executor therefore runs on the thread
    // running the io_context, whether the operation finished at once or
    // waited (before, an immediate completion was posted to the system
    // executor's own thread, where use_future's handler also goes).
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    auto [a, b] = LocalStream::pair();
    AsyncStream<> left(context, std::move(a));
    AsyncStream<> right(context, std::move(b));
    const auto io_thread = std::this_thread::get_id();
    std::array<char, 4> in{};
    std::vector<OwnedHandle> handles;
    int done = 0, on_io_thread = 0;
    const auto on_system = [&](auto check) {
        return net::bind_executor(net::system_executor(), [&, check](net_error_code ec, std::size_t n) {
            if (std::this_thread::get_id() == io_thread)
                ++on_io_thread;
            check(ec, n);
            ++done;
        });
    };
    const auto ok = [](net_error_code ec, std::size_t n) {
        CHECK_FALSE(ec);
        CHECK(n == 4);
    };
    right.async_receive(net::buffer(in), handles, on_system(ok)); // waits
    testing::run_for(context, 10ms);
    left.async_write_some(net::buffer("abcd", 4), on_system(ok)); // at once
    REQUIRE(testing::run_until(context, [&] { return done == 2; }));
    left.sync().write_all("efgh");
    right.async_read_some(net::buffer(in), on_system(ok)); // at once
    REQUIRE(testing::run_until(context, [&] { return done == 3; }));
    CHECK(on_io_thread == 3);
    // A composed read through use_future (whose executor posts to the
    // system executor's thread) completes on this thread too.
    left.sync().write_all("ijkl");
    auto future = net::async_read(right, net::buffer(in), net::use_future);
    REQUIRE(testing::run_until(context, [&] { return future.wait_for(0s) == std::future_status::ready; }));
    CHECK(future.get() == 4);
    CHECK(std::string(in.data(), 4) == "ijkl");
}

TEST_CASE("async associations: a bound allocator serves the operations' memory") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    // On the io_context's own executor type: it honours an allocator
    // preference, so the posted completion of an operation that finished at
    // once uses the bound allocator too. (A net::any_io_executor drops that
    // preference — Asio's post through it allocates from Asio's recycling
    // cache — so there only the waits use it.)
    using Executor = net::io_context::executor_type;
    auto [a, b] = LocalSeqpacket::pair();
    AsyncSeqpacket<Executor> left(context.get_executor(), std::move(a));
    AsyncSeqpacket<Executor> right(context.get_executor(), std::move(b));
    AllocationCounts counts;
    std::array<char, 8> in{};
    std::vector<OwnedHandle> handles;
    int done = 0;
    {
        // Waiting first (readiness wait), then at once (posted completion).
        right.async_receive(net::buffer(in), handles,
                            net::bind_allocator(CountingAllocator<void>(&counts),
                                                [&](net_error_code ec, ReceiveResult r) {
                                                    CHECK_FALSE(ec);
                                                    CHECK(r.bytes == 5);
                                                    ++done;
                                                }));
        testing::run_for(context, 10ms);
        const std::size_t after_wait = counts.allocations;
        CHECK(after_wait > 0);
        OwnedHandle file = testing::file_with("a");
        const std::array<BorrowedHandle, 1> lent{file.borrow()};
        left.async_send(net::buffer("hello", 5), std::span<const BorrowedHandle>(lent),
                        net::bind_allocator(CountingAllocator<void>(&counts), [&](net_error_code ec) {
                            CHECK_FALSE(ec);
                            ++done;
                        }));
        CHECK(counts.allocations > after_wait); // the send's posted completion
    }
    REQUIRE(testing::run_until(context, [&] { return done == 2; }));
    CHECK(counts.deallocations == counts.allocations); // all given back
    REQUIRE(handles.size() == 1);
    CHECK(testing::read_whole_file(handles[0]) == "a");

    // The default executor type: a wait uses the bound allocator.
    auto [c, d] = LocalStream::pair();
    AsyncStream<> waiting(context, std::move(c));
    const std::size_t before = counts.allocations;
    std::optional<net_error_code> got;
    waiting.async_read_some(net::buffer(in), net::bind_allocator(CountingAllocator<void>(&counts),
                                                                 [&](net_error_code ec, std::size_t) { got = ec; }));
    CHECK(counts.allocations > before);
    d.write_all("x");
    REQUIRE(testing::run_until(context, [&] { return got.has_value(); }));
    CHECK_FALSE(*got);
    CHECK(counts.deallocations == counts.allocations);
}

} // TEST_SUITE
