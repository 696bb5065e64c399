// AsyncBufferPoolProducer and AsyncBufferPoolConsumer: the buffer pool
// (localsock/buffer_pool.hpp) over an AsyncSeqpacket.
//
// The same pool, the same wire messages, the same checks: each operation is
// the sync end's call on the channel's non-blocking socket, tried again by
// the Asio backend when it reports would_block (as AsyncSeqpacket's own
// operations are). Nothing is allocated per frame.
//
//   AsyncBufferPoolProducer producer(channel);
//   co_await producer.async_create({.slot_size = 1 << 20, .slot_count = 4}, use_awaitable);
//   PoolSlot slot = co_await producer.async_acquire(use_awaitable);   // waits for a release
//   fill(slot.bytes());
//   co_await producer.async_submit(std::move(slot), length, use_awaitable);
//
//   AsyncBufferPoolConsumer consumer(channel);
//   co_await consumer.async_accept(use_awaitable);
//   PoolFrame frame = co_await consumer.async_receive(use_awaitable);  // end: errc::end_of_stream
//   use(frame.bytes());
//   co_await consumer.async_release(std::move(frame), use_awaitable);
//
// Completion, tokens and cancellation as for the channel's operations
// (stream.hpp). Lifetimes: the channel outlives the pool end, and the pool
// end (which cannot move: operations in flight point at it) outlives its
// operations. Threads: a pool end has one operation pending at a time, and
// is used from the strand of its channel; the channel's own operations are
// not mixed with the pool's (every message on it is the pool's).
#pragma once

#include <localsock/asio/config.hpp>
#include <localsock/asio/detail/attempts.hpp>
#include <localsock/asio/seqpacket.hpp>
#include <localsock/buffer_pool.hpp>
#include <localsock/error.hpp>

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

namespace localsock {

namespace asio_detail {

// A submit: the slot travels with the operation. would_block keeps it for
// the next try; an operation that ends without sending it (cancelled,
// closed) gives it back to the pool, as the sync submit does on an error.
struct SubmitAttempt {
    BufferPoolProducer* producer;
    PoolSlot slot;
    std::size_t length;
    std::size_t offset;

    void operator()(LocalSeqpacket&, std::error_code& ec) { producer->submit(std::move(slot), length, offset, ec); }
    bool progressed() const noexcept { return false; }
    std::tuple<net_error_code> result(net_error_code ec) {
        producer->cancel(std::move(slot)); // nothing if it was sent
        return {ec};
    }
};

// A release: a frame not released (cancelled, closed) comes back with the
// completion, still the consumer's, to be released again.
struct ReleaseAttempt {
    BufferPoolConsumer* consumer;
    PoolFrame frame;

    void operator()(LocalSeqpacket&, std::error_code& ec) { consumer->release(std::move(frame), ec); }
    bool progressed() const noexcept { return false; }
    std::tuple<net_error_code, PoolFrame> result(net_error_code ec) { return {ec, std::move(frame)}; }
};

} // namespace asio_detail

template <class Executor = net::any_io_executor>
class AsyncBufferPoolProducer {
public:
    using executor_type = Executor;

    // Closed until async_create; `channel` must outlive this end.
    explicit AsyncBufferPoolProducer(AsyncSeqpacket<Executor>& channel) noexcept : channel_(&channel) {}
    AsyncBufferPoolProducer(const AsyncBufferPoolProducer&) = delete;
    AsyncBufferPoolProducer& operator=(const AsyncBufferPoolProducer&) = delete;

    executor_type get_executor() const noexcept { return channel_->get_executor(); }
    // The sync end underneath (slot_size, slot_count; its waiting calls
    // report would_block).
    BufferPoolProducer& sync() noexcept { return producer_; }

    // Creates the region, maps it, and sends it with the pool's shape, as
    // BufferPoolProducer::create. void(error_code).
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_create(const BufferPoolOptions& options, Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code)>(
            state(), asio_detail::Direction::write,
            asio_detail::void_call([this, options](LocalSeqpacket& channel, std::error_code& ec) {
                // A would_block drops the new region (the setup was not sent)
                // and the next try creates another: no state is half-made.
                BufferPoolProducer created = BufferPoolProducer::create(channel, options, ec);
                if (!ec)
                    producer_ = std::move(created);
            }),
            std::forward<Token>(token));
    }

    // A free slot, once the consumer released one if none is; or room for
    // `size` bytes, a run of slots (BufferPoolProducer::acquire(size)).
    // void(error_code, PoolSlot).
    template <class Token = net::default_completion_token_t<Executor>>
        requires(!std::is_integral_v<std::decay_t<Token>>)
    auto async_acquire(Token&& token = Token()) {
        return async_acquire(0, std::forward<Token>(token));
    }
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_acquire(std::size_t size, Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code, PoolSlot)>(
            state(), asio_detail::Direction::read,
            asio_detail::single_call<PoolSlot>(
                [this, size](LocalSeqpacket&, std::error_code& ec) { return producer_.acquire(size, ec); }),
            std::forward<Token>(token));
    }

    // Hands bytes [offset, offset + length) of the slot to the consumer.
    // void(error_code); on an error the slot is back in the pool.
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_submit(PoolSlot&& slot, std::size_t length, Token&& token = Token()) {
        return async_submit(std::move(slot), length, 0, std::forward<Token>(token));
    }
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_submit(PoolSlot&& slot, std::size_t length, std::size_t offset, Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code)>(
            state(), asio_detail::Direction::write,
            asio_detail::SubmitAttempt{&producer_, std::move(slot), length, offset}, std::forward<Token>(token));
    }

    // Returns an acquired slot to the pool unsent.
    void cancel(PoolSlot&& slot) noexcept { producer_.cancel(std::move(slot)); }

    // Completes when the consumer holds no slot any more. void(error_code).
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_drain(Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code)>(
            state(), asio_detail::Direction::read,
            asio_detail::void_call([this](LocalSeqpacket&, std::error_code& ec) { producer_.drain(ec); }),
            std::forward<Token>(token));
    }

private:
    const auto& state() { return asio_detail::shared_state_of(*channel_); }

    AsyncSeqpacket<Executor>* channel_;
    BufferPoolProducer producer_;
};

template <class Executor = net::any_io_executor>
class AsyncBufferPoolConsumer {
public:
    using executor_type = Executor;

    // Closed until async_accept; `channel` must outlive this end.
    explicit AsyncBufferPoolConsumer(AsyncSeqpacket<Executor>& channel) noexcept : channel_(&channel) {}
    AsyncBufferPoolConsumer(const AsyncBufferPoolConsumer&) = delete;
    AsyncBufferPoolConsumer& operator=(const AsyncBufferPoolConsumer&) = delete;

    executor_type get_executor() const noexcept { return channel_->get_executor(); }
    BufferPoolConsumer& sync() noexcept { return consumer_; }

    // Receives and checks the pool's region and shape, as
    // BufferPoolConsumer::accept. void(error_code).
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_accept(Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code)>(
            state(), asio_detail::Direction::read,
            asio_detail::void_call([this](LocalSeqpacket& channel, std::error_code& ec) {
                // A seqpacket receive takes a whole message or nothing: a
                // would_block has consumed nothing.
                BufferPoolConsumer accepted = BufferPoolConsumer::accept(channel, ec);
                if (!ec)
                    consumer_ = std::move(accepted);
            }),
            std::forward<Token>(token));
    }

    // The next frame. void(error_code, PoolFrame); the end of the channel
    // is errc::end_of_stream (as AsyncSeqpacket::async_receive reports it).
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_receive(Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code, PoolFrame)>(
            state(), asio_detail::Direction::read,
            asio_detail::single_call<PoolFrame>([this](LocalSeqpacket&, std::error_code& ec) {
                PoolFrame frame = consumer_.receive(ec);
                if (!ec && !frame.valid())
                    ec = make_error_code(errc::end_of_stream);
                return frame;
            }),
            std::forward<Token>(token));
    }

    // Gives the frame's slot back to the producer. void(error_code,
    // PoolFrame): the frame comes back, still held, if it was not released
    // (a cancelled operation): release it again.
    template <class Token = net::default_completion_token_t<Executor>>
    auto async_release(PoolFrame&& frame, Token&& token = Token()) {
        return asio_detail::start_attempt<void(net_error_code, PoolFrame)>(
            state(), asio_detail::Direction::write, asio_detail::ReleaseAttempt{&consumer_, std::move(frame)},
            std::forward<Token>(token));
    }

private:
    const auto& state() { return asio_detail::shared_state_of(*channel_); }

    AsyncSeqpacket<Executor>* channel_;
    BufferPoolConsumer consumer_;
};

} // namespace localsock
