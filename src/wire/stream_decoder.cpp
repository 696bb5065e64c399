#include "stream_decoder.hpp"

#include <algorithm>
#include <cstring>
#include <new>

namespace localsock::wire {

std::size_t StreamDecoder::take_ahead(std::byte* to, std::size_t most) noexcept {
    const std::size_t n = std::min(most, ahead_left());
    if (n == 0) // no read-ahead yet: memcpy wants real pointers even for nothing
        return 0;
    std::memcpy(to, ahead_.get() + ahead_begin_, n);
    ahead_begin_ += n;
    return n;
}

StreamDecoder::Step StreamDecoder::fail() noexcept {
    malformed_ = true;
    return {Next::malformed};
}

StreamDecoder::Step StreamDecoder::step(std::span<std::byte> out) noexcept {
    if (malformed_)
        return {Next::malformed};
    if (out.empty())
        return {Next::payload, 0};
    if (direct_payload_ > 0) { // a refill read it into `out` already
        const std::size_t n = direct_payload_;
        direct_payload_ = 0;
        return {Next::payload, n};
    }
    for (;;) {
        if (payload_left_ > 0) {
            if (ahead_left() == 0)
                return {Next::more_bytes};
            // Never past the frame: its handles belong to these bytes only.
            const std::size_t n = take_ahead(out.data(), std::min<std::size_t>(out.size(), payload_left_));
            payload_left_ -= static_cast<std::uint32_t>(n);
            return {Next::payload, n};
        }
        if (ended_)
            return {Next::end_of_stream};
        const std::size_t wanted = prefix_wanted();
        have_ += take_ahead(prefix_.data() + have_, wanted - have_);
        if (have_ < wanted)
            return {Next::more_bytes};
        if (!header_known_) {
            if (!decode(prefix_.data(), header_))
                return fail();
            header_known_ = true;
            if (header_.kind == Kind::end_of_stream) {
                ended_ = true;
                return {Next::end_of_stream};
            }
            if (header_.handle_count > 0)
                continue; // the values come next
        }
        // The values are checked before anyone sees them: those of a malformed
        // frame may name the reader's own handles, and are never touched.
        if (!decode_prefix(prefix_.data(), wanted, header_))
            return fail();
        payload_left_ = header_.payload_length;
        have_ = 0;
        header_known_ = false;
        if (header_.handle_count > 0)
            return {Next::handles};
    }
}

std::span<std::byte> StreamDecoder::space(std::span<std::byte> out) noexcept {
    const std::span<std::byte> direct = payload_left_ > 0
                                            ? out.first(std::min<std::size_t>(out.size(), payload_left_))
                                            : std::span<std::byte>(prefix_).subspan(have_, prefix_wanted() - have_);
    if (direct.size() < capacity_) {
        if (!ahead_)
            ahead_.reset(new (std::nothrow) std::byte[capacity_]);
        if (ahead_) { // otherwise read just what is wanted, as without a read-ahead
            target_ = Target::ahead;
            return {ahead_.get(), capacity_};
        }
    }
    target_ = payload_left_ > 0 ? Target::payload : Target::prefix;
    return direct;
}

void StreamDecoder::commit(std::size_t n) noexcept {
    switch (target_) {
    case Target::ahead:
        ahead_begin_ = 0;
        ahead_end_ = n;
        break;
    case Target::prefix:
        have_ += n;
        break;
    case Target::payload:
        payload_left_ -= static_cast<std::uint32_t>(n);
        direct_payload_ = n;
        break;
    }
}

void StreamDecoder::input_ended() noexcept {
    ended_ = true;
    payload_left_ = 0;
}

} // namespace localsock::wire
