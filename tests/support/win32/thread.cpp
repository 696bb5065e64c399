#include "../thread.hpp"

#include <windows.h>
#include <process.h>

#include <system_error>

namespace testing {

struct Thread::State {
    std::function<void()> body;
    HANDLE handle = nullptr;
};

namespace {
unsigned __stdcall run(void* state) {
    static_cast<Thread::State*>(state)->body();
    return 0;
}
} // namespace

Thread::Thread(std::function<void()> body) : state_(new State{std::move(body)}) {
    state_->handle = reinterpret_cast<HANDLE>(::_beginthreadex(nullptr, 0, run, state_.get(), 0, nullptr));
    if (state_->handle == nullptr)
        throw std::system_error(errno, std::generic_category(), "_beginthreadex");
}

Thread::~Thread() { join(); }

void Thread::join() {
    if (state_->handle == nullptr)
        return;
    ::WaitForSingleObject(state_->handle, INFINITE);
    ::CloseHandle(state_->handle);
    state_->handle = nullptr;
}

} // namespace testing
