// localsock: a zero-copy buffer pool for bulk data between two processes.
//
// One shared region per connection, cut into slots of one size and mapped
// once on each side. The producer writes a frame into a slot — or into a
// run of consecutive slots, for a frame larger than one — and sends only a
// 24-byte descriptor (first slot, offset, length) over a LocalSeqpacket;
// the consumer reads the frame in place and releases it back.
//
// Ownership protocol: a slot is free (the producer may acquire it), then
// the producer's (it writes), then submitted — the consumer's: the producer
// must not touch it until the consumer's release arrives. A frame holds
// exactly the slots its bytes reach (from its run's first slot; one at
// least); a submit gives the rest of an acquired run back to the pool at
// once, and a release gives back the frame's whole run. So nothing in the
// pool is read while it is written, as long as both ends follow the
// protocol. The socket's send and receive order the writes before the reads
// (no other synchronisation is needed). The region is sealed
// seals::creator_writes: only the producer can write it, the consumer maps it
// read-only. A hostile producer can still rewrite a slot the consumer is
// reading: a consumer that validates a frame and then acts on it copies the
// part it validated first. Every descriptor is checked (slot in range, range
// inside its slot, a slot not already the consumer's, a release of a slot
// the consumer holds): a lie is errc::protocol_error, never an access
// outside the region.
//
// Flow control: acquire() waits for releases until it finds its slots free
// in a row (on a non-blocking channel: std::errc::operation_would_block). A
// run of N slots needs N free in a row: a consumer that holds frames while
// it waits for the next one can keep a large acquire waiting for ever, as it
// can keep any acquire waiting by holding every slot.
//
// Threads: each end is used by one thread at a time; the producer and the
// consumer are different objects in different processes (or threads).
//
// With Asio: localsock/asio/buffer_pool.hpp (AsyncBufferPoolProducer and
// AsyncBufferPoolConsumer, the same ends over an AsyncSeqpacket).
#pragma once

#include <localsock/config.hpp>
#include <localsock/seqpacket.hpp>
#include <localsock/shared_memory.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

namespace localsock {

struct BufferPoolOptions {
    std::size_t slot_size = std::size_t{1} << 20;
    std::size_t slot_count = 8;
};

// A slot (or a run of slots) the producer is writing: give it on with
// submit(), or back to the pool with cancel().
class PoolSlot {
public:
    PoolSlot() noexcept = default;
    // The whole run: slot_size() bytes times the slots acquired.
    std::span<std::byte> bytes() const noexcept { return bytes_; }
    // The run's first slot.
    std::uint32_t index() const noexcept { return index_; }
    bool valid() const noexcept { return !bytes_.empty(); }

private:
    friend class BufferPoolProducer;
    PoolSlot(std::span<std::byte> bytes, std::uint32_t index) noexcept : bytes_(bytes), index_(index) {}
    std::span<std::byte> bytes_;
    std::uint32_t index_ = 0;
};

// A frame the consumer is reading, until release().
class PoolFrame {
public:
    PoolFrame() noexcept = default;
    std::span<const std::byte> bytes() const noexcept { return bytes_; }
    std::uint32_t slot() const noexcept { return slot_; }
    // False at the end (the producer closed the channel).
    bool valid() const noexcept { return valid_; }

private:
    friend class BufferPoolConsumer;
    PoolFrame(std::span<const std::byte> bytes, std::uint32_t slot) noexcept
        : bytes_(bytes), slot_(slot), valid_(true) {}
    std::span<const std::byte> bytes_;
    std::uint32_t slot_ = 0;
    bool valid_ = false;
};

class LOCALSOCK_API BufferPoolProducer {
public:
    // Creates the region, maps it, and sends it with the pool's shape over
    // `channel` (which must outlive the producer).
    static BufferPoolProducer create(LocalSeqpacket& channel, const BufferPoolOptions& options = {});
    static BufferPoolProducer create(LocalSeqpacket& channel, const BufferPoolOptions& options,
                                     std::error_code& ec) noexcept;

    BufferPoolProducer() noexcept = default;
    // A moved-from end is closed: every call fails with bad_file_descriptor.
    BufferPoolProducer(BufferPoolProducer&& other) noexcept;
    BufferPoolProducer& operator=(BufferPoolProducer&& other) noexcept;

    // A free slot, waiting for the consumer to release one if none is.
    PoolSlot acquire();
    PoolSlot acquire(std::error_code& ec) noexcept;
    // Room for `size` bytes: the fewest consecutive slots that hold them
    // (one if `size` fits a slot), waiting for releases until so many are
    // free in a row. A size larger than the region: invalid_argument.
    PoolSlot acquire(std::size_t size);
    PoolSlot acquire(std::size_t size, std::error_code& ec) noexcept;
    // Hands bytes [offset, offset + length) of the slot to the consumer.
    // On a non-blocking channel whose buffer is full: would_block, and the
    // slot stays the caller's (submit it again). Another error returns the
    // slot to the pool.
    void submit(PoolSlot&& slot, std::size_t length, std::size_t offset = 0);
    void submit(PoolSlot&& slot, std::size_t length, std::size_t offset, std::error_code& ec) noexcept;
    // Returns an acquired slot to the pool unsent.
    void cancel(PoolSlot&& slot) noexcept;
    // Waits until the consumer has released every slot it holds: before
    // closing the channel, so that the consumer's releases find it open.
    void drain();
    void drain(std::error_code& ec) noexcept;

    std::size_t slot_size() const noexcept { return slot_size_; }
    std::size_t slot_count() const noexcept { return owner_.size(); }

private:
    enum class Owner : unsigned char { free, producer, consumer };
    bool take_release(std::error_code& ec) noexcept;
    bool find_free_run(std::uint32_t count, std::uint32_t& first) const noexcept;
    void set_owner(std::uint32_t first, std::uint32_t count, Owner owner) noexcept;

    LocalSeqpacket* channel_ = nullptr;
    SharedMemory memory_;
    SharedMapping mapping_;
    std::size_t slot_size_ = 0;
    std::vector<Owner> owner_;        // per slot
    std::vector<std::uint32_t> run_;  // per slot: a run's length at its first slot, else 0
    std::size_t free_slots_ = 0;
    std::uint32_t next_ = 0;          // where the search for free slots starts (next fit)
};

class LOCALSOCK_API BufferPoolConsumer {
public:
    // Receives the pool's region and shape from `channel` (which must
    // outlive the consumer) and maps it read-only. Refuses a region that is
    // not sealed seals::creator_writes, or not the size its shape says
    // (errc::region_not_sealed, errc::region_size_mismatch), and a
    // malformed shape or a setup without exactly one handle
    // (errc::protocol_error).
    static BufferPoolConsumer accept(LocalSeqpacket& channel);
    static BufferPoolConsumer accept(LocalSeqpacket& channel, std::error_code& ec) noexcept;

    BufferPoolConsumer() noexcept = default;
    BufferPoolConsumer(BufferPoolConsumer&& other) noexcept;
    BufferPoolConsumer& operator=(BufferPoolConsumer&& other) noexcept;

    // The next frame (invalid at the end of the channel).
    PoolFrame receive();
    PoolFrame receive(std::error_code& ec) noexcept;
    // Gives the frame's slot back to the producer (would_block on a full
    // non-blocking channel: the frame stays the caller's, release it again).
    void release(PoolFrame&& frame);
    void release(PoolFrame&& frame, std::error_code& ec) noexcept;

    std::size_t slot_size() const noexcept { return slot_size_; }
    std::size_t slot_count() const noexcept { return held_.size(); }

private:
    LocalSeqpacket* channel_ = nullptr;
    SharedMemory memory_;
    SharedMapping mapping_;
    std::size_t slot_size_ = 0;
    std::vector<bool> held_;          // per slot: part of a frame this end holds
    std::vector<std::uint32_t> run_;  // per slot: a held frame's run length at its first slot, else 0
};

} // namespace localsock
