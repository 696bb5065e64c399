// No heap allocation per message in steady state, proved with a counting
// allocator (support/counting_allocator.hpp: this binary's operator new
// counts, also for liblocalsock.so; POSIX only).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "support/resources.hpp"

#include <localsock/localsock.hpp>

#include "support/counting_allocator.hpp"

#include <array>

using testing::AllocationWindow;
using testing::allocations_over;

using namespace localsock;

TEST_SUITE("unit") {

TEST_CASE("allocations: the counter sees the program's and the library's allocations") {
    const testing::HandleLeakCheck leaks;
    {
        const AllocationWindow window;
        int* volatile p = new int(1); // volatile: the pair may not be elided
        delete p;
        CHECK(window.count() == 1);
    }
    const AllocationWindow window;
    auto streams = LocalStream::pair(); // allocates inside liblocalsock
    CHECK(window.count() > 0);
}

TEST_CASE("allocations: none per message in steady state, handle passing included") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    std::vector<OwnedHandle> files;
    for (int i = 0; i < 64; ++i)
        files.push_back(testing::file_with("f"));
    const std::array<BorrowedHandle, 1> one{files[0].borrow()};
    std::vector<OwnedHandle> received;
    std::array<char, 64> out{}, in{};
    std::array<char, 8> small{};
    const std::array<ConstBuffer, 2> gather{ConstBuffer(out.data(), 32), ConstBuffer(out.data() + 32, 32)};
    const std::array<MutableBuffer, 2> scatter{MutableBuffer(in.data(), 32), MutableBuffer(in.data() + 32, 32)};

    const auto one_round = [&] {
        a.write_all(buffer(out));
        b.read_exact(buffer(in));
        a.write_all(gather);
        b.read_exact(scatter);
        CHECK(a.write_some(buffer(out)) == out.size());
        CHECK(b.read_some(buffer(in)) == in.size());
        a.send(buffer(small), one);
        CHECK(b.receive(buffer(small), received) == small.size());
        CHECK(received.size() == 1);
        received.clear();
        a.send(buffer(small), files);
        CHECK(b.receive(buffer(small), received) == small.size());
        CHECK(received.size() == 64);
        received.clear();
        std::error_code ec;
        a.send(buffer(small), files, ec);
        CHECK_FALSE(ec);
        CHECK(b.receive(buffer(small), received, ec) == small.size());
        CHECK_FALSE(ec);
        CHECK(received.size() == 64);
        received.clear();
    };
    one_round(); // warm up: the received vector reaches its capacity here

    CHECK(allocations_over(1000, one_round) == 0);
}

TEST_CASE("allocations: none per message on seqpacket and datagram sockets, ancillary forms included") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalSeqpacket::pair();
    const LocalSocketName name_c = testing::unique_namespaced_name("alloc-c");
    const LocalSocketName name_d = testing::unique_namespaced_name("alloc-d");
    LocalDatagram c = LocalDatagram::bind(name_c);
    LocalDatagram d = LocalDatagram::bind(name_d);
    d.set_receive_credentials(true);
    std::vector<OwnedHandle> files;
    for (int i = 0; i < 64; ++i)
        files.push_back(testing::file_with("f"));
    const std::array<BorrowedHandle, 1> one{files[0].borrow()};
    std::vector<OwnedHandle> received;
    std::array<char, 64> out{}, in{};
    const std::array<ConstBuffer, 2> gather{ConstBuffer(out.data(), 32), ConstBuffer(out.data() + 32, 32)};
    const std::array<MutableBuffer, 2> scatter{MutableBuffer(in.data(), 32), MutableBuffer(in.data() + 32, 32)};
    ancillary::Builder control;
    control.add_handles(one);
    control.add_credentials();
    ancillary::Received arrived;
    LocalSocketName sender;
    std::error_code ec;

    const auto one_round = [&] {
        a.send(buffer(out));
        CHECK(b.receive(buffer(in)).bytes == out.size());
        a.send(gather, one);
        CHECK(b.receive(scatter, received).bytes == 64);
        received.clear();
        a.send(buffer(out), files);
        CHECK(b.receive(buffer(in), received).bytes == 64);
        CHECK(received.size() == 64);
        received.clear();
        a.send(buffer(out), control);
        CHECK(b.receive(buffer(in), arrived).bytes == 64);
        CHECK(arrived.take_handles(received, ec));
        CHECK(received.size() == 1);
        received.clear();
        c.send_to(name_d, buffer(out), one);
        CHECK(d.receive_from(buffer(in), sender, received).bytes == 64);
        CHECK(sender == name_c);
        received.clear();
        c.send_to(name_d, buffer(out), control);
        CHECK(d.receive_from(buffer(in), sender, arrived).bytes == 64);
        CHECK(arrived.credentials().has_value());
    };
    one_round(); // warm up: vectors reach their capacity here

    CHECK(allocations_over(1000, one_round) == 0);
}

} // TEST_SUITE
