#include "../thread.hpp"

#include <thread>

namespace testing {

struct Thread::State {
    std::thread thread;
};

Thread::Thread(std::function<void()> body) : state_(new State{std::thread(std::move(body))}) {}
Thread::~Thread() { join(); }
void Thread::join() {
    if (state_->thread.joinable())
        state_->thread.join();
}

} // namespace testing
