#include "input_feed.hpp"

#include "system.hpp"

#include <thread>

namespace lsock {

InputFeed& InputFeed::standard_input() {
    // Deliberately never freed: the reading thread may outlive main.
    static InputFeed* const feed = new InputFeed;
    return *feed;
}

InputFeed::InputFeed() {
    std::thread([this] { read_loop(); }).detach();
}

void InputFeed::read_loop() {
    std::size_t write_slot = 0;
    for (;;) {
        Slot& slot = slots_[write_slot];
        {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [&] { return !slot.full; });
        }
        std::error_code ec;
        // The slot is free: only this thread touches its data until it is
        // marked full.
        const std::size_t count = read_stdin(slot.data, ec);
        const std::lock_guard lock(mutex_);
        if (ec || count == 0) {
            end_ = true;
            error_ = ec;
            changed_.notify_all();
            return;
        }
        slot.size = count;
        slot.consumed = 0;
        slot.full = true;
        write_slot ^= 1;
        changed_.notify_all();
    }
}

bool InputFeed::wait(std::stop_token stop, Chunk& chunk) {
    std::unique_lock lock(mutex_);
    const bool ready = changed_.wait(lock, stop, [&] { return slots_[read_slot_].full || end_; });
    if (!ready)
        return false;
    const Slot& slot = slots_[read_slot_];
    if (slot.full) {
        chunk = {std::span<const std::byte>(slot.data).subspan(slot.consumed, slot.size - slot.consumed), false, {}};
    } else {
        // The reader fills the slots in turn and stops after the last: an
        // empty slot here with end_ set means everything was consumed.
        chunk = {{}, true, error_};
    }
    return true;
}

void InputFeed::consume(std::size_t count) {
    const std::lock_guard lock(mutex_);
    Slot& slot = slots_[read_slot_];
    slot.consumed += count;
    if (slot.consumed >= slot.size) {
        slot.full = false;
        read_slot_ ^= 1;
        changed_.notify_all();
    }
}

} // namespace lsock
