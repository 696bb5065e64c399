// The buffer pool: frames through one shared region between two processes,
// flow control when every slot is out, and a peer that lies about slots.
#include "support/process.hpp"
#include "support/resources.hpp"

#include <localsock/localsock.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace localsock;

namespace {

constexpr std::size_t frames_sent = 200;
constexpr std::size_t test_slot_size = 64 * 1024;

// Up to two and a half slots: frames of one, two and three slots.
std::size_t frame_length(std::size_t frame) { return (frame * 7919) % (test_slot_size * 5 / 2) + 1; }
std::byte frame_byte(std::size_t frame, std::size_t i) { return static_cast<std::byte>((frame * 31 + i) & 0xFF); }

// A raw pool message, as a hostile peer would write it.
std::array<std::byte, 24> raw_message(std::uint32_t type, std::uint32_t slot, std::uint64_t a, std::uint64_t b) {
    std::array<std::byte, 24> out{};
    const std::uint64_t words[] = {type | (std::uint64_t{slot} << 32), a, b};
    for (std::size_t w = 0; w < 3; ++w)
        for (std::size_t i = 0; i < 8; ++i)
            out[w * 8 + i] = static_cast<std::byte>((words[w] >> (8 * i)) & 0xFF);
    return out;
}

} // namespace

// Child: a producer of frames_sent frames through a pool of 4 slots, each in
// the run of slots its length needs.
CHILD_ROLE(pool_producer) {
    LocalSeqpacket channel = LocalSeqpacket::connect(LocalSocketName::parse(args.at(0)));
    BufferPoolProducer producer = BufferPoolProducer::create(channel, {test_slot_size, 4});
    for (std::size_t frame = 0; frame < frames_sent; ++frame) {
        const std::size_t length = frame_length(frame);
        PoolSlot slot = producer.acquire(length);
        for (std::size_t i = 0; i < length; ++i)
            slot.bytes()[i] = frame_byte(frame, i);
        producer.submit(std::move(slot), length);
    }
    producer.drain(); // every slot back before the channel closes
    return 0;
}

TEST_SUITE("ipc") {

TEST_CASE("buffer pool: frames from another process arrive whole, in order, through 4 slots in runs") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("pool");
    LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name);
    auto child = testing::ChildProcess::spawn("pool_producer", {name.to_string()});
    LocalSeqpacket channel = listener.accept();
    BufferPoolConsumer consumer = BufferPoolConsumer::accept(channel);
    CHECK(consumer.slot_count() == 4);
    CHECK(consumer.slot_size() == test_slot_size);
    std::size_t frame = 0;
    std::size_t wrong = 0;
    for (PoolFrame received = consumer.receive(); received.valid(); received = consumer.receive()) {
        if (received.bytes().size() != frame_length(frame))
            ++wrong;
        else
            for (std::size_t i = 0; i < received.bytes().size(); ++i)
                wrong += received.bytes()[i] != frame_byte(frame, i);
        ++frame;
        consumer.release(std::move(received));
    }
    CHECK(frame == frames_sent);
    CHECK(wrong == 0);
    CHECK(child.wait() == 0);
}

TEST_CASE("buffer pool: a full pool waits, or says would_block on a non-blocking channel") {
    const testing::HandleLeakCheck leaks;
    auto [producer_end, consumer_end] = LocalSeqpacket::pair();
    BufferPoolProducer producer = BufferPoolProducer::create(producer_end, {4096, 2});
    BufferPoolConsumer consumer = BufferPoolConsumer::accept(consumer_end);
    producer.submit(producer.acquire(), 10);
    PoolSlot second = producer.acquire();
    producer_end.set_nonblocking(true);
    std::error_code ec;
    CHECK_FALSE(producer.acquire(ec).valid());
    CHECK(ec == std::errc::operation_would_block);
    producer.cancel(std::move(second)); // back to the pool unsent
    CHECK(producer.acquire(ec).valid());
    CHECK_FALSE(producer.acquire(ec).valid());
    // The consumer gives the first slot back: it can be had again.
    PoolFrame frame = consumer.receive();
    CHECK(frame.bytes().size() == 10);
    consumer.release(std::move(frame));
    CHECK(producer.acquire(ec).valid());
    CHECK_FALSE(ec);
    // A moved-from end is closed, not a second reader of the channel.
    BufferPoolProducer moved = std::move(producer);
    CHECK_FALSE(producer.acquire(ec).valid());
    CHECK(ec == std::errc::bad_file_descriptor);
    CHECK(moved.slot_count() == 2);
    BufferPoolConsumer moved_consumer = std::move(consumer);
    CHECK_FALSE(consumer.receive(ec).valid());
    CHECK(ec == std::errc::bad_file_descriptor);
}

TEST_CASE("buffer pool: a consumer refuses descriptors that lie, a producer refuses false releases") {
    const testing::HandleLeakCheck leaks;
    auto [producer_end, consumer_end] = LocalSeqpacket::pair();
    BufferPoolProducer producer = BufferPoolProducer::create(producer_end, {4096, 2});
    BufferPoolConsumer consumer = BufferPoolConsumer::accept(consumer_end);
    std::error_code ec;

    SUBCASE("a slot out of range, a range out of its slot, a slot given twice, a foreign message") {
        const std::array<std::byte, 24> lies[] = {
            raw_message(2, 2, 0, 1),          // slot 2 of 2
            raw_message(2, 1, 4000, 100),     // past the region's end (slot 1 is the last)
            raw_message(2, 0, 8000, 200),     // the same from slot 0
            raw_message(2, 0, ~0ull, 2),      // an offset that wraps
            raw_message(3, 0, 0, 0),          // a release, sent to the consumer
        };
        for (const auto& lie : lies) {
            producer_end.send(buffer(lie));
            CHECK_FALSE(consumer.receive(ec).valid());
            CHECK(ec == errc::protocol_error);
        }
        producer_end.send(buffer(raw_message(2, 1, 0, 8)));
        PoolFrame held = consumer.receive();
        CHECK(held.bytes().size() == 8);
        producer_end.send(buffer(raw_message(2, 1, 0, 8)));
        CHECK_FALSE(consumer.receive(ec).valid());
        CHECK(ec == errc::protocol_error);
        CHECK_THROWS_WITH((producer_end.send(buffer(raw_message(2, 9, 0, 1))), consumer.receive()),
                          doctest::Contains("receive a pool frame on"));
    }
    SUBCASE("a frame whose run reaches a slot the consumer holds") {
        producer_end.send(buffer(raw_message(2, 1, 0, 8)));
        const PoolFrame held = consumer.receive();
        CHECK(held.slot() == 1);
        producer_end.send(buffer(raw_message(2, 0, 100, 4000))); // slots 0 and 1
        CHECK_FALSE(consumer.receive(ec).valid());
        CHECK(ec == errc::protocol_error);
    }
    SUBCASE("a release of a slot inside a run, not its first") {
        PoolSlot run = producer.acquire(8192);
        REQUIRE(run.bytes().size() == 8192);
        producer.submit(std::move(run), 8192);
        consumer_end.send(buffer(raw_message(3, 1, 0, 0)));
        CHECK_FALSE(producer.acquire(ec).valid());
        CHECK(ec == errc::protocol_error);
    }
    SUBCASE("a release of a slot the consumer never had") {
        consumer_end.send(buffer(raw_message(3, 0, 0, 0)));
        producer.acquire(ec);
        producer.acquire(ec);
        CHECK_FALSE(producer.acquire(ec).valid());
        CHECK(ec == errc::protocol_error);
    }
}

TEST_CASE("buffer pool: a frame larger than a slot takes a run; the unused rest of a run goes back at submit") {
    const testing::HandleLeakCheck leaks;
    auto [producer_end, consumer_end] = LocalSeqpacket::pair();
    BufferPoolProducer producer = BufferPoolProducer::create(producer_end, {4096, 4});
    BufferPoolConsumer consumer = BufferPoolConsumer::accept(consumer_end);
    std::error_code ec;
    CHECK_FALSE(producer.acquire(4 * 4096 + 1, ec).valid());
    CHECK(ec == std::errc::invalid_argument);

    PoolSlot big = producer.acquire(10000);
    REQUIRE(big.bytes().size() == 3 * 4096);
    CHECK(big.index() == 0);
    for (std::size_t i = 0; i < 10000; ++i)
        big.bytes()[i] = frame_byte(5, i);
    producer.submit(std::move(big), 10000);
    // One slot is left: a run of two must wait, one slot need not.
    producer_end.set_nonblocking(true);
    CHECK_FALSE(producer.acquire(5000, ec).valid());
    CHECK(ec == std::errc::operation_would_block);
    PoolSlot last = producer.acquire(ec);
    REQUIRE(last.valid());
    CHECK(last.index() == 3);
    producer.cancel(std::move(last));

    PoolFrame frame = consumer.receive();
    REQUIRE(frame.bytes().size() == 10000);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < 10000; ++i)
        wrong += frame.bytes()[i] != frame_byte(5, i);
    CHECK(wrong == 0);
    consumer.release(std::move(frame)); // the whole run of three
    PoolSlot all = producer.acquire(4 * 4096, ec);
    REQUIRE(all.valid());
    CHECK(all.bytes().size() == 4 * 4096);
    // Only the first slot is sent: the other three are free at once.
    producer.submit(std::move(all), 100, 50);
    PoolSlot rest = producer.acquire(3 * 4096, ec);
    REQUIRE(rest.valid());
    CHECK(rest.index() == 1);
    producer.cancel(std::move(rest));
    PoolFrame small = consumer.receive();
    CHECK(small.bytes().size() == 100);
    CHECK(small.slot() == 0);
    consumer.release(std::move(small));
    producer_end.set_nonblocking(false);
    producer.drain();
}

TEST_CASE("buffer pool: a setup without its region, or with a region anybody can write, is refused") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalSeqpacket::pair();
    std::error_code ec;
    a.send(buffer(raw_message(1, 2, 4096, 1))); // no handle
    CHECK_FALSE(BufferPoolConsumer::accept(b, ec).slot_count());
    CHECK(ec == errc::protocol_error);
    const SharedMemory writable = SharedMemory::create(8192);
    a.send(buffer(raw_message(1, 2, 4096, 1)), {writable.handle()});
    BufferPoolConsumer::accept(b, ec);
    CHECK(ec == errc::region_not_sealed);
    SharedMemory small = SharedMemory::create(4096);
    small.seal(seals::creator_writes);
    a.send(buffer(raw_message(1, 2, 4096, 1)), {small.handle()});
    BufferPoolConsumer::accept(b, ec);
    CHECK(ec == errc::region_size_mismatch);
    a.send(buffer(raw_message(1, 0, 4096, 1)), {small.handle()}); // no slots
    BufferPoolConsumer::accept(b, ec);
    CHECK(ec == errc::protocol_error);
}

} // TEST_SUITE
