// Async buffer pool, POSIX: a release that meets a full channel (a socket
// buffer filled with would_block is a POSIX notion; the Windows backend
// starts its own writes) waits, and a cancelled one gives its frame back.
#include "../async_support.hpp"

#include "../../support/resources.hpp"

#include <localsock/asio.hpp>
#include <localsock/localsock.hpp>

#include <array>
#include <chrono>
#include <optional>

using namespace localsock;
using namespace std::chrono_literals;

TEST_SUITE("async") {

TEST_CASE("async buffer pool: a release that cannot be sent yet gives its frame back when cancelled") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    auto [producer_end, consumer_end] = LocalSeqpacket::pair();
    BufferPoolProducer producer = BufferPoolProducer::create(producer_end, {4096, 2});
    PoolSlot slot = producer.acquire();
    producer.submit(std::move(slot), 10);
    AsyncSeqpacket<> channel(context, std::move(consumer_end));
    AsyncBufferPoolConsumer<> consumer(channel);
    std::optional<net_error_code> accepted;
    consumer.async_accept([&](net_error_code ec) { accepted = ec; });
    REQUIRE(testing::run_until(context, [&] { return accepted.has_value(); }));
    REQUIRE_FALSE(*accepted);
    std::optional<testing::Outcome<PoolFrame>> got;
    consumer.async_receive([&](net_error_code ec, PoolFrame frame) { got.emplace(testing::Outcome<PoolFrame>{ec, std::move(frame)}); });
    REQUIRE(testing::run_until(context, [&] { return got.has_value(); }));
    REQUIRE_FALSE(got->ec);
    PoolFrame frame = std::move(*got->value);
    REQUIRE(frame.valid());

    // Fill the consumer's direction until the channel says would_block.
    const std::array<std::byte, 4000> filler{};
    std::error_code full;
    for (int i = 0; i < 100000 && !full; ++i)
        channel.sync().send(buffer(filler), full);
    REQUIRE(full == std::errc::operation_would_block);

    std::optional<net_error_code> released;
    PoolFrame back;
    consumer.async_release(std::move(frame), [&](net_error_code ec, PoolFrame f) {
        released = ec;
        back = std::move(f);
    });
    testing::run_for(context, 50ms);
    CHECK_FALSE(released.has_value());
    channel.cancel();
    REQUIRE(testing::run_until(context, [&] { return released.has_value(); }));
    CHECK(testing::aborted(*released));
    REQUIRE(back.valid()); // still the consumer's: release it again later
    CHECK(back.bytes().size() == 10);
    (void)producer;
}

} // TEST_SUITE
