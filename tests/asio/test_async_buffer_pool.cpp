// Async tests: the buffer pool over an AsyncSeqpacket — frames from another
// process received and released asynchronously, an async producer whose
// acquire waits for a sync consumer's releases, cancellation that loses no
// slot, and the checks of the sync pool on the async path.
#include "async_support.hpp"

#include "../support/process.hpp"
#include "../support/resources.hpp"
#include "../support/thread.hpp"

#include <localsock/asio.hpp>
#include <localsock/localsock.hpp>

#include <array>
#include <atomic>
#include <thread>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

using namespace localsock;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t async_frames = 120;
constexpr std::size_t async_slot_size = 16 * 1024;

std::size_t async_frame_length(std::size_t frame) { return (frame * 4099) % async_slot_size + 1; }
std::byte async_frame_byte(std::size_t frame, std::size_t i) {
    return static_cast<std::byte>((frame * 13 + i * 7) & 0xFF);
}

void fill_frame(std::span<std::byte> bytes, std::size_t frame) {
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = async_frame_byte(frame, i);
}

std::size_t wrong_bytes(std::span<const std::byte> bytes, std::size_t frame) {
    if (bytes.size() != async_frame_length(frame))
        return bytes.size() + 1;
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i)
        wrong += bytes[i] != async_frame_byte(frame, i);
    return wrong;
}

} // namespace

// Child: the sync producer of async_frames frames through 3 slots.
CHILD_ROLE(async_pool_producer) {
    LocalSeqpacket channel = LocalSeqpacket::connect(LocalSocketName::parse(args.at(0)));
    BufferPoolProducer producer = BufferPoolProducer::create(channel, {async_slot_size, 3});
    for (std::size_t frame = 0; frame < async_frames; ++frame) {
        PoolSlot slot = producer.acquire();
        const std::size_t length = async_frame_length(frame);
        fill_frame(slot.bytes().first(length), frame);
        producer.submit(std::move(slot), length);
    }
    producer.drain();
    return 0;
}

TEST_SUITE("async") {

TEST_CASE("async buffer pool: frames from another process, received and released asynchronously") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    const LocalSocketName name = testing::unique_namespaced_name("async-pool");
    AsyncSeqpacketListener<> listener(context, LocalSeqpacketListener::bind(name));
    auto child = testing::ChildProcess::spawn("async_pool_producer", {name.to_string()});

    std::size_t frames = 0, wrong = 0;
    std::optional<net_error_code> ended;
    net::co_spawn(
        context,
        [&]() -> net::awaitable<void> {
            AsyncSeqpacket<> channel = co_await listener.async_accept(net::use_awaitable);
            AsyncBufferPoolConsumer<> consumer(channel);
            co_await consumer.async_accept(net::use_awaitable);
            CHECK(consumer.sync().slot_count() == 3);
            CHECK(consumer.sync().slot_size() == async_slot_size);
            for (;;) {
                auto [ec, frame] = co_await consumer.async_receive(testing::as_tuple(net::use_awaitable));
                if (ec) {
                    ended = ec;
                    break;
                }
                wrong += wrong_bytes(frame.bytes(), frames++);
                auto [release_ec, unreleased] =
                    co_await consumer.async_release(std::move(frame), testing::as_tuple(net::use_awaitable));
                CHECK_FALSE(release_ec);
                CHECK_FALSE(unreleased.valid());
            }
        },
        net::detached);
    REQUIRE(testing::run_until(context, [&] { return ended.has_value(); }));
    CHECK(frames == async_frames);
    CHECK(wrong == 0);
    CHECK(*ended == localsock::errc::end_of_stream);
    CHECK(child.wait() == 0);
}

TEST_CASE("async buffer pool: acquire waits for the consumer's release; submit hands frames to a sync consumer") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    auto [producer_end, consumer_end] = LocalSeqpacket::pair();
    AsyncSeqpacket<> channel(context, std::move(producer_end));
    AsyncBufferPoolProducer<> producer(channel);

    std::optional<net_error_code> created;
    producer.async_create({async_slot_size, 2}, [&](net_error_code ec) { created = ec; });
    REQUIRE(testing::run_until(context, [&] { return created.has_value(); }));
    REQUIRE_FALSE(*created);

    // The consumer takes frames in a thread, and releases one only when
    // told to.
    BufferPoolConsumer consumer = BufferPoolConsumer::accept(consumer_end);
    std::atomic<std::size_t> received{0}, released{0}, wrong{0};
    std::atomic<std::size_t> release_allowed{0};
    testing::Thread consumer_thread([&] {
        std::vector<PoolFrame> held;
        for (PoolFrame frame = consumer.receive(); frame.valid(); frame = consumer.receive()) {
            wrong += wrong_bytes(frame.bytes(), received);
            held.push_back(std::move(frame));
            ++received;
            // Holding both slots: wait until a release is allowed.
            while (held.size() == 2 && released >= release_allowed)
                std::this_thread::sleep_for(1ms);
            while (!held.empty() && released < release_allowed) {
                consumer.release(std::move(held.front()));
                held.erase(held.begin());
                ++released;
            }
        }
        for (PoolFrame& frame : held)
            consumer.release(std::move(frame));
    });

    // One frame: acquired (it must not wait), filled, submitted.
    auto send_frame = [&](std::size_t frame) {
        std::optional<net_error_code> acquired, submitted;
        PoolSlot slot;
        producer.async_acquire([&](net_error_code ec, PoolSlot s) {
            acquired = ec;
            slot = std::move(s);
        });
        REQUIRE(testing::run_until(context, [&] { return acquired.has_value(); }));
        REQUIRE_FALSE(*acquired);
        const std::size_t length = async_frame_length(frame);
        fill_frame(slot.bytes().first(length), frame);
        producer.async_submit(std::move(slot), length, [&](net_error_code ec) { submitted = ec; });
        REQUIRE(testing::run_until(context, [&] { return submitted.has_value(); }));
        REQUIRE_FALSE(*submitted);
    };

    // Two slots: two frames go without waiting.
    for (std::size_t frame = 0; frame < 2; ++frame)
        send_frame(frame);

    // The third waits: both slots are the consumer's.
    std::optional<net_error_code> third;
    PoolSlot third_slot;
    producer.async_acquire([&](net_error_code ec, PoolSlot s) {
        third = ec;
        third_slot = std::move(s);
    });
    testing::run_for(context, 100ms);
    CHECK_FALSE(third.has_value());
    CHECK(received == 2);

    // Cancelled while waiting: operation_aborted, and no slot lost.
    channel.cancel();
    REQUIRE(testing::run_until(context, [&] { return third.has_value(); }));
    CHECK(testing::aborted(*third));
    CHECK_FALSE(third_slot.valid());

    // One release lets the next acquire through.
    third.reset();
    producer.async_acquire([&](net_error_code ec, PoolSlot s) {
        third = ec;
        third_slot = std::move(s);
    });
    testing::run_for(context, 50ms);
    CHECK_FALSE(third.has_value());
    release_allowed = 1;
    REQUIRE(testing::run_until(context, [&] { return third.has_value(); }));
    REQUIRE_FALSE(*third);
    REQUIRE(third_slot.valid());

    // A submit whose slot is cancelled by the caller instead goes back to
    // the pool: the rest of the frames still flow through both slots.
    producer.cancel(std::move(third_slot));
    release_allowed = async_frames;
    for (std::size_t frame = 2; frame < async_frames; ++frame)
        send_frame(frame);

    // Room for a frame of two slots: a run, once the consumer released both.
    std::optional<net_error_code> run_acquired;
    PoolSlot run;
    producer.async_acquire(async_slot_size + 1, [&](net_error_code ec, PoolSlot s) {
        run_acquired = ec;
        run = std::move(s);
    });
    REQUIRE(testing::run_until(context, [&] { return run_acquired.has_value(); }));
    REQUIRE_FALSE(*run_acquired);
    CHECK(run.bytes().size() == 2 * async_slot_size);
    CHECK(run.index() == 0);
    producer.cancel(std::move(run));
    std::optional<net_error_code> drained;
    producer.async_drain([&](net_error_code ec) { drained = ec; });
    REQUIRE(testing::run_until(context, [&] { return drained.has_value(); }));
    CHECK_FALSE(*drained);
    channel.close();
    consumer_thread.join();
    CHECK(received == async_frames);
    CHECK(wrong == 0);
}

TEST_CASE("async buffer pool: a lying producer is a protocol error on the async path too") {
    const testing::HandleLeakCheck leaks;
    net::io_context context;
    auto [producer_end, consumer_end] = LocalSeqpacket::pair();
    BufferPoolProducer producer = BufferPoolProducer::create(producer_end, {4096, 2});
    AsyncSeqpacket<> channel(context, std::move(consumer_end));
    AsyncBufferPoolConsumer<> consumer(channel);
    std::optional<net_error_code> accepted;
    consumer.async_accept([&](net_error_code ec) { accepted = ec; });
    REQUIRE(testing::run_until(context, [&] { return accepted.has_value(); }));
    REQUIRE_FALSE(*accepted);

    // Slot 5 of 2: refused, nothing mapped outside the region.
    std::array<std::byte, 24> lie{};
    lie[0] = std::byte{2}; // frame
    lie[4] = std::byte{5}; // slot 5
    lie[16] = std::byte{1}; // length 1
    producer_end.send(buffer(lie));
    std::optional<testing::Outcome<PoolFrame>> got;
    consumer.async_receive([&](net_error_code ec, PoolFrame frame) { got.emplace(testing::Outcome<PoolFrame>{ec, std::move(frame)}); });
    REQUIRE(testing::run_until(context, [&] { return got.has_value(); }));
    CHECK(got->ec == localsock::errc::protocol_error);
    CHECK_FALSE(got->value->valid());
    (void)producer;
}

} // TEST_SUITE
