// Test support: a thread that leaves no handle behind once joined, so that
// handle counts stay exact. (On Windows, winpthreads — behind std::thread —
// keeps the event handles of finished threads for reuse.)
#pragma once

#include <functional>
#include <memory>

namespace testing {

class Thread {
public:
    explicit Thread(std::function<void()> body);
    Thread(const Thread&) = delete;
    Thread& operator=(const Thread&) = delete;
    ~Thread(); // joins if nobody did
    void join();

    struct State;

private:
    std::unique_ptr<State> state_;
};

} // namespace testing
