// Shared memory regions: created, filled, sealed, passed to another process
// and adopted there only if they are what the receiver requires.
#include "support/process.hpp"
#include "support/resources.hpp"

#include <localsock/localsock.hpp>
#include <localsock/shared_memory.hpp>

#include <doctest/doctest.h>

#include <cstring>
#include <string>

using namespace localsock;

namespace {

// Byte i of a test region.
std::byte pattern(std::size_t i) { return static_cast<std::byte>((i * 7 + i / 4096) & 0xFF); }

void fill(std::span<std::byte> bytes) {
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = pattern(i);
}

bool holds_pattern(std::span<const std::byte> bytes) {
    for (std::size_t i = 0; i < bytes.size(); ++i)
        if (bytes[i] != pattern(i))
            return false;
    return true;
}

// A region of `size` bytes holding the pattern, sealed as `seals`.
SharedMemory filled_region(std::size_t size, Seal seals) {
    SharedMemory memory = SharedMemory::create(size, "localsock-test");
    {
        const SharedMapping mapping = memory.map(MapAccess::read_write);
        fill(mapping.writable());
    } // unmapped: a write seal needs no writable mapping left (POSIX)
    memory.seal(seals);
    return memory;
}

} // namespace

// Child: receive one region of args[1] bytes, adopt it as immutable, check
// every byte, check that it cannot be mapped writable, answer "ok".
CHILD_ROLE(adopt_region) {
    LocalStream stream = LocalStream::connect(LocalSocketName::parse(args.at(0)));
    std::vector<OwnedHandle> handles;
    char tag = 0;
    CHILD_REQUIRE(stream.receive(MutableBuffer(&tag, 1), handles) == 1);
    CHILD_REQUIRE(handles.size() == 1);
    const std::size_t size = std::stoul(args.at(1));
    SharedMemory memory = SharedMemory::adopt(std::move(handles[0]), {size, seals::immutable});
    CHILD_REQUIRE(memory.size() == size);
    const SharedMapping mapping = memory.map(MapAccess::read_only);
    CHILD_REQUIRE(holds_pattern(mapping.bytes()));
    std::error_code ec;
    CHILD_REQUIRE(!memory.map(MapAccess::read_write, ec).is_mapped());
    CHILD_REQUIRE(ec == std::errc::permission_denied);
    stream.write_all("ok");
    return 0;
}

TEST_SUITE("ipc") {

TEST_CASE("shared memory: a sealed region crosses processes and is adopted, mapped and read there") {
    const testing::HandleLeakCheck leaks;
    for (const std::size_t size : {std::size_t{1}, std::size_t{4096}, std::size_t{3} << 20}) {
        CAPTURE(size);
        const LocalSocketName name = testing::unique_namespaced_name("region");
        LocalListener listener = LocalListener::bind(name);
        auto child = testing::ChildProcess::spawn("adopt_region", {name.to_string(), std::to_string(size)});
        LocalStream stream = listener.accept();
        {
            SharedMemory memory = filled_region(size, seals::immutable);
            CHECK(includes(memory.seals(), seals::immutable));
            CHECK(stream.send("r", {memory.handle()}) == 1);
        } // our handle closed: the region lives on in the child
        std::string answer(2, '\0');
        stream.read_exact(buffer(answer));
        CHECK(answer == "ok");
        CHECK(child.wait() == 0);
    }
}

TEST_CASE("shared memory: adopt refuses what the receiver did not ask for, in both forms") {
    const testing::HandleLeakCheck leaks;
    const SharedMemoryRequirements immutable_page{4096, seals::immutable};
    auto refused = [&](OwnedHandle handle, const SharedMemoryRequirements& requirements, errc expected,
                       const char* text) {
        OwnedHandle second = handle.duplicate();
        std::error_code ec;
        const SharedMemory memory = SharedMemory::adopt(std::move(handle), requirements, ec);
        CHECK(ec == expected);
        CHECK(ec == std::errc::invalid_argument);
        CHECK_FALSE(memory.is_open());
        CHECK_THROWS_WITH(SharedMemory::adopt(std::move(second), requirements),
                          doctest::Contains(doctest::String((std::string("adopt shared memory: ") + text).c_str())));
    };

    SUBCASE("a socket is no region") {
        auto [a, b] = LocalStream::pair();
        refused(a.release(), immutable_page, errc::not_shared_memory, "the handle is not a shared memory region");
    }
    SUBCASE("a pipe is no region") {
        auto [read_end, write_end] = testing::make_pipe();
        refused(std::move(read_end), immutable_page, errc::not_shared_memory,
                "the handle is not a shared memory region");
    }
    SUBCASE("another size") {
        SharedMemory memory = filled_region(8192, seals::immutable);
        refused(memory.release(), immutable_page, errc::region_size_mismatch,
                "the shared memory region does not have the size required");
    }
    SUBCASE("a region its sender can still write") {
        SharedMemory memory = SharedMemory::create(4096);
        refused(memory.release(), immutable_page, errc::region_not_sealed,
                "the shared memory region lacks a required seal");
    }
    SUBCASE("any size, when the receiver says so") {
        SharedMemory memory = filled_region(12288, seals::immutable);
        const SharedMemory adopted = SharedMemory::adopt(memory.release(), {0, seals::immutable});
        CHECK(adopted.size() == 12288);
        CHECK(holds_pattern(adopted.map(MapAccess::read_only).bytes()));
    }
}

TEST_CASE("shared memory: the creator keeps writing a creator_writes region, receivers only read") {
    const testing::HandleLeakCheck leaks;
    SharedMemory memory = SharedMemory::create(4096);
    const SharedMapping writer = memory.map(MapAccess::read_write);
    memory.seal(seals::creator_writes); // with a writable mapping: allowed
    CHECK(includes(memory.seals(), seals::creator_writes));

    auto [a, b] = LocalStream::pair();
    CHECK(a.send("m", {memory.handle()}) == 1);
    std::vector<OwnedHandle> received;
    char tag = 0;
    REQUIRE(b.receive(MutableBuffer(&tag, 1), received) == 1);
    REQUIRE(received.size() == 1);
    const SharedMemory adopted = SharedMemory::adopt(std::move(received[0]), {4096, seals::creator_writes});
    const SharedMapping reader = adopted.map(MapAccess::read_only);

    std::memcpy(writer.writable().data(), "written after passing", 21);
    CHECK(std::memcmp(reader.bytes().data(), "written after passing", 21) == 0);
    std::error_code ec;
    CHECK_FALSE(adopted.map(MapAccess::read_write, ec).is_mapped());
    CHECK(ec == std::errc::permission_denied);
}

TEST_CASE("shared memory: bad sizes and closed regions are errors, not crashes") {
    const testing::HandleLeakCheck leaks;
    std::error_code ec;
    CHECK_FALSE(SharedMemory::create(0, "empty", ec).is_open());
    CHECK(ec == std::errc::invalid_argument);
    CHECK_THROWS_WITH(SharedMemory::create(0), doctest::Contains("create shared memory: "));
    const SharedMemory closed;
    CHECK_FALSE(closed.map(MapAccess::read_only, ec).is_mapped());
    CHECK(ec == std::errc::bad_file_descriptor);
    SharedMemory moved = SharedMemory::create(4096);
    SharedMemory target = std::move(moved);
    CHECK_FALSE(moved.is_open());
    CHECK(moved.size() == 0);
    CHECK(target.size() == 4096);
}

} // TEST_SUITE
