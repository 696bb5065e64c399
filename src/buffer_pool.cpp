// The buffer pool: slots of one shared region, handed back and forth with
// 24-byte descriptors (src/pool/wire.hpp). Portable: it is built on
// LocalSeqpacket and SharedMemory only.
#include "operation_error.hpp"
#include "pool/wire.hpp"

#include <localsock/buffer_pool.hpp>
#include <localsock/error.hpp>

#include <algorithm>
#include <limits>
#include <utility>

namespace localsock {

namespace {

std::error_code protocol_error() noexcept { return make_error_code(errc::protocol_error); }

} // namespace

// Moves leave the source closed (no channel), not reading someone else's
// releases with an empty slot table.
BufferPoolProducer::BufferPoolProducer(BufferPoolProducer&& other) noexcept
    : channel_(std::exchange(other.channel_, nullptr)), memory_(std::move(other.memory_)),
      mapping_(std::move(other.mapping_)), slot_size_(std::exchange(other.slot_size_, 0)),
      owner_(std::move(other.owner_)), run_(std::move(other.run_)),
      free_slots_(std::exchange(other.free_slots_, 0)), next_(std::exchange(other.next_, 0)) {}

BufferPoolProducer& BufferPoolProducer::operator=(BufferPoolProducer&& other) noexcept {
    if (this != &other) {
        channel_ = std::exchange(other.channel_, nullptr);
        memory_ = std::move(other.memory_);
        mapping_ = std::move(other.mapping_);
        slot_size_ = std::exchange(other.slot_size_, 0);
        owner_ = std::move(other.owner_);
        run_ = std::move(other.run_);
        free_slots_ = std::exchange(other.free_slots_, 0);
        next_ = std::exchange(other.next_, 0);
    }
    return *this;
}

BufferPoolConsumer::BufferPoolConsumer(BufferPoolConsumer&& other) noexcept
    : channel_(std::exchange(other.channel_, nullptr)), memory_(std::move(other.memory_)),
      mapping_(std::move(other.mapping_)), slot_size_(std::exchange(other.slot_size_, 0)),
      held_(std::move(other.held_)), run_(std::move(other.run_)) {}

BufferPoolConsumer& BufferPoolConsumer::operator=(BufferPoolConsumer&& other) noexcept {
    if (this != &other) {
        channel_ = std::exchange(other.channel_, nullptr);
        memory_ = std::move(other.memory_);
        mapping_ = std::move(other.mapping_);
        slot_size_ = std::exchange(other.slot_size_, 0);
        held_ = std::move(other.held_);
        run_ = std::move(other.run_);
    }
    return *this;
}

BufferPoolProducer BufferPoolProducer::create(LocalSeqpacket& channel, const BufferPoolOptions& options,
                                              std::error_code& ec) noexcept {
    ec.clear();
    if (options.slot_size == 0 || options.slot_count == 0 || options.slot_count > pool::max_slots ||
        options.slot_size > pool::max_region_size / options.slot_count ||
        options.slot_size * options.slot_count > std::numeric_limits<std::size_t>::max() / 2) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return {};
    }
    try {
        BufferPoolProducer producer;
        producer.channel_ = &channel;
        producer.slot_size_ = options.slot_size;
        producer.owner_.assign(options.slot_count, Owner::free);
        producer.run_.assign(options.slot_count, 0);
        producer.free_slots_ = options.slot_count;
        producer.memory_ = SharedMemory::create(options.slot_size * options.slot_count, "localsock-pool", ec);
        if (!ec)
            producer.mapping_ = producer.memory_.map(MapAccess::read_write, ec);
        // Nobody but this mapping writes the region from now on.
        if (!ec)
            producer.memory_.seal(seals::creator_writes, ec);
        if (ec)
            return {};
        const auto setup = pool::encode({pool::MessageType::setup, static_cast<std::uint32_t>(options.slot_count),
                                         options.slot_size, pool::version});
        channel.send(buffer(setup), {producer.memory_.handle()}, ec);
        if (ec)
            return {};
        return producer;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

bool BufferPoolProducer::take_release(std::error_code& ec) noexcept {
    std::byte message[pool::message_size + 1];
    const ReceiveResult got = channel_->receive(buffer(message), ec);
    if (ec)
        return false;
    if (got.bytes == 0) {
        ec = make_error_code(errc::end_of_stream);
        return false;
    }
    const std::optional<std::uint32_t> slot =
        pool::parse_release(std::span(message, got.bytes), {static_cast<std::uint32_t>(owner_.size()), slot_size_}, ec);
    if (!slot)
        return false;
    if (owner_[*slot] != Owner::consumer || run_[*slot] == 0) { // not a frame the consumer holds
        ec = protocol_error();
        return false;
    }
    set_owner(*slot, run_[*slot], Owner::free);
    free_slots_ += run_[*slot];
    run_[*slot] = 0;
    return true;
}

void BufferPoolProducer::set_owner(std::uint32_t first, std::uint32_t count, Owner owner) noexcept {
    for (std::uint32_t i = first; i < first + count; ++i)
        owner_[i] = owner;
}

// Next fit: from where the last run ended, then from the start up to where
// a run that ends past that point could still begin (the rest was looked
// at). With frames of one slot released in order, the slot after the last
// one is the free one, found at once.
bool BufferPoolProducer::find_free_run(std::uint32_t count, std::uint32_t& first) const noexcept {
    if (free_slots_ < count)
        return false;
    const auto slots = static_cast<std::uint32_t>(owner_.size());
    const std::uint32_t wrapped_end = std::min(slots, next_ + count - 1);
    for (const auto& [from, to] : {std::pair{next_, slots}, std::pair{std::uint32_t{0}, wrapped_end}}) {
        std::uint32_t length = 0;
        for (std::uint32_t i = from; i < to; ++i) {
            length = owner_[i] == Owner::free ? length + 1 : 0;
            if (length == count) {
                first = i + 1 - count;
                return true;
            }
        }
    }
    return false;
}

PoolSlot BufferPoolProducer::acquire(std::error_code& ec) noexcept { return acquire(0, ec); }

PoolSlot BufferPoolProducer::acquire(std::size_t size, std::error_code& ec) noexcept {
    ec.clear();
    if (channel_ == nullptr) {
        ec = std::make_error_code(std::errc::bad_file_descriptor);
        return {};
    }
    if (size > slot_size_ * owner_.size()) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return {};
    }
    const auto count = static_cast<std::uint32_t>(pool::slots_spanned(size, slot_size_));
    std::uint32_t first = 0;
    while (!find_free_run(count, first))
        if (!take_release(ec))
            return {};
    set_owner(first, count, Owner::producer);
    run_[first] = count;
    free_slots_ -= count;
    next_ = first + count == owner_.size() ? 0 : first + count;
    return PoolSlot(mapping_.writable().subspan(first * slot_size_, count * slot_size_), first);
}

void BufferPoolProducer::submit(PoolSlot&& slot, std::size_t length, std::size_t offset,
                                std::error_code& ec) noexcept {
    ec.clear();
    if (channel_ == nullptr) {
        ec = std::make_error_code(std::errc::bad_file_descriptor);
        return;
    }
    const std::size_t room = slot.bytes().size();
    if (!slot.valid() || slot.index() >= owner_.size() || owner_[slot.index()] != Owner::producer ||
        run_[slot.index()] * slot_size_ != room || offset > room || length > room - offset) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return;
    }
    const auto frame = pool::encode({pool::MessageType::frame, slot.index(), offset, length});
    channel_->send(buffer(frame), ec);
    if (ec == std::errc::operation_would_block)
        return; // nothing sent: the slot stays the caller's, to submit again
    if (ec) {
        cancel(std::move(slot)); // the consumer never got it
        return;
    }
    // The frame holds the slots its bytes reach; the rest of the run was
    // never sent and is free again.
    const std::uint32_t first = slot.index();
    const std::uint32_t acquired = run_[first];
    const auto sent = static_cast<std::uint32_t>(pool::slots_spanned(offset + length, slot_size_));
    set_owner(first, sent, Owner::consumer);
    set_owner(first + sent, acquired - sent, Owner::free);
    free_slots_ += acquired - sent;
    run_[first] = sent;
    slot = PoolSlot();
}

void BufferPoolProducer::cancel(PoolSlot&& slot) noexcept {
    if (slot.valid() && slot.index() < owner_.size() && owner_[slot.index()] == Owner::producer &&
        run_[slot.index()] != 0) {
        set_owner(slot.index(), run_[slot.index()], Owner::free);
        free_slots_ += run_[slot.index()];
        run_[slot.index()] = 0;
    }
    slot = PoolSlot();
}

void BufferPoolProducer::drain(std::error_code& ec) noexcept {
    ec.clear();
    if (channel_ == nullptr) {
        ec = std::make_error_code(std::errc::bad_file_descriptor);
        return;
    }
    std::size_t producer_held = 0;
    for (const Owner owner : owner_)
        producer_held += owner == Owner::producer;
    while (free_slots_ + producer_held < owner_.size())
        if (!take_release(ec))
            return;
}

BufferPoolConsumer BufferPoolConsumer::accept(LocalSeqpacket& channel, std::error_code& ec) noexcept {
    ec.clear();
    try {
        std::byte message[pool::message_size + 1];
        std::vector<OwnedHandle> handles;
        const ReceiveResult got = channel.receive(buffer(message), handles, ec);
        if (ec)
            return {};
        if (got.bytes == 0) {
            ec = make_error_code(errc::end_of_stream);
            return {};
        }
        const std::optional<pool::Shape> shape = pool::parse_setup(std::span(message, got.bytes), ec);
        if (!shape)
            return {};
        if (handles.size() != 1 || shape->region_size() > std::numeric_limits<std::size_t>::max() / 2) {
            ec = protocol_error();
            return {};
        }
        BufferPoolConsumer consumer;
        consumer.memory_ = SharedMemory::adopt(std::move(handles[0]),
                                               {static_cast<std::size_t>(shape->region_size()), seals::creator_writes}, ec);
        if (!ec)
            consumer.mapping_ = consumer.memory_.map(MapAccess::read_only, ec);
        if (ec)
            return {};
        consumer.channel_ = &channel;
        consumer.slot_size_ = static_cast<std::size_t>(shape->slot_size);
        consumer.held_.assign(shape->slot_count, false);
        consumer.run_.assign(shape->slot_count, 0);
        return consumer;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

PoolFrame BufferPoolConsumer::receive(std::error_code& ec) noexcept {
    ec.clear();
    if (channel_ == nullptr) {
        ec = std::make_error_code(std::errc::bad_file_descriptor);
        return {};
    }
    std::byte message[pool::message_size + 1];
    const ReceiveResult got = channel_->receive(buffer(message), ec);
    if (ec || got.bytes == 0)
        return {}; // an error, or the end
    const std::optional<pool::FrameRange> range = pool::parse_frame(
        std::span(message, got.bytes), {static_cast<std::uint32_t>(held_.size()), slot_size_}, ec);
    if (!range)
        return {};
    for (std::uint32_t i = range->slot; i < range->slot + range->slots; ++i)
        if (held_[i]) { // given twice without a release: a lie
            ec = protocol_error();
            return {};
        }
    for (std::uint32_t i = range->slot; i < range->slot + range->slots; ++i)
        held_[i] = true;
    run_[range->slot] = range->slots;
    return PoolFrame(mapping_.bytes().subspan(range->slot * slot_size_ + range->offset, range->length), range->slot);
}

void BufferPoolConsumer::release(PoolFrame&& frame, std::error_code& ec) noexcept {
    ec.clear();
    if (channel_ == nullptr) {
        ec = std::make_error_code(std::errc::bad_file_descriptor);
        return;
    }
    if (!frame.valid() || frame.slot() >= held_.size() || run_[frame.slot()] == 0) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return;
    }
    const auto message = pool::encode({pool::MessageType::release, frame.slot(), 0, 0});
    channel_->send(buffer(message), ec);
    if (ec == std::errc::operation_would_block)
        return; // nothing sent: the frame stays the caller's, to release again
    if (!ec) {
        for (std::uint32_t i = frame.slot(); i < frame.slot() + run_[frame.slot()]; ++i)
            held_[i] = false;
        run_[frame.slot()] = 0;
    }
    frame = PoolFrame();
}

// --- the throwing forms ---------------------------------------------------------

BufferPoolProducer BufferPoolProducer::create(LocalSeqpacket& channel, const BufferPoolOptions& options) {
    std::error_code ec = detail::no_error();
    BufferPoolProducer producer = create(channel, options, ec);
    detail::throw_if_error(ec, "create buffer pool on", channel.name());
    return producer;
}

PoolSlot BufferPoolProducer::acquire() { return acquire(std::size_t{0}); }

PoolSlot BufferPoolProducer::acquire(std::size_t size) {
    std::error_code ec = detail::no_error();
    PoolSlot slot = acquire(size, ec);
    detail::throw_if_error(ec, "acquire a pool slot on", channel_ != nullptr ? channel_->name() : LocalSocketName());
    return slot;
}

void BufferPoolProducer::submit(PoolSlot&& slot, std::size_t length, std::size_t offset) {
    std::error_code ec = detail::no_error();
    submit(std::move(slot), length, offset, ec);
    detail::throw_if_error(ec, "submit a pool slot on", channel_ != nullptr ? channel_->name() : LocalSocketName());
}

void BufferPoolProducer::drain() {
    std::error_code ec = detail::no_error();
    drain(ec);
    detail::throw_if_error(ec, "drain a buffer pool on", channel_ != nullptr ? channel_->name() : LocalSocketName());
}

BufferPoolConsumer BufferPoolConsumer::accept(LocalSeqpacket& channel) {
    std::error_code ec = detail::no_error();
    BufferPoolConsumer consumer = accept(channel, ec);
    detail::throw_if_error(ec, "accept a buffer pool on", channel.name());
    return consumer;
}

PoolFrame BufferPoolConsumer::receive() {
    std::error_code ec = detail::no_error();
    PoolFrame frame = receive(ec);
    detail::throw_if_error(ec, "receive a pool frame on", channel_ != nullptr ? channel_->name() : LocalSocketName());
    return frame;
}

void BufferPoolConsumer::release(PoolFrame&& frame) {
    std::error_code ec = detail::no_error();
    release(std::move(frame), ec);
    detail::throw_if_error(ec, "release a pool frame on", channel_ != nullptr ? channel_->name() : LocalSocketName());
}

} // namespace localsock
