// Test support: a program that links support/counting_allocator.cpp has its
// global operator new replaced by one that counts, which on ELF also serves
// the allocations made inside liblocalsock.so. For the allocation proofs
// (tests/test_allocations.cpp, tests/asio/test_async_allocations.cpp), each
// its own binary. (A Windows DLL binds operator new when it is linked, so
// there this proof is not possible: POSIX only.)
#pragma once

#include <cstddef>

namespace testing {

void start_counting_allocations() noexcept;
std::size_t stop_counting_allocations() noexcept; // how many since the start

// Counts the allocations made between construction and count().
class AllocationWindow {
public:
    AllocationWindow() noexcept { start_counting_allocations(); }
    ~AllocationWindow() { (void)stop_counting_allocations(); }
    AllocationWindow(const AllocationWindow&) = delete;
    AllocationWindow& operator=(const AllocationWindow&) = delete;
    std::size_t count() const noexcept;
};

// Allocations made by `rounds` calls of `round`.
template <class Round>
std::size_t allocations_over(int rounds, Round& round) {
    const AllocationWindow window;
    for (int i = 0; i < rounds; ++i)
        round();
    return window.count();
}

} // namespace testing
