// IPC tests: passing descriptors with LocalStream::send / receive.
#include <doctest/doctest.h>

#include "support/process.hpp"
#include "support/resources.hpp"

#include <localsock/localsock.hpp>

#include <array>
#include <csignal>
#include <cstring>
#include <string>
#include <thread>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

using namespace localsock;

namespace {

OwnedHandle memfd_with(const std::string& content) {
    const int fd = ::memfd_create("localsock-test", MFD_CLOEXEC);
    if (fd < 0)
        throw std::system_error(errno, std::system_category(), "memfd_create");
    OwnedHandle owner(fd);
    if (::write(fd, content.data(), content.size()) != static_cast<ssize_t>(content.size()))
        throw std::system_error(errno, std::system_category(), "write memfd");
    return owner;
}

std::pair<OwnedHandle, OwnedHandle> make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw std::system_error(errno, std::system_category(), "pipe2");
    return {OwnedHandle(fds[0]), OwnedHandle(fds[1])};
}

std::vector<OwnedHandle> memfds(std::size_t count) {
    std::vector<OwnedHandle> files;
    for (std::size_t i = 0; i < count; ++i)
        files.push_back(memfd_with("handle " + std::to_string(i)));
    return files;
}

bool is_cloexec(const OwnedHandle& handle) { return (::fcntl(handle.get(), F_GETFD) & FD_CLOEXEC) != 0; }

} // namespace

// Child: connect to args[0] and send args[1] memfds, numbered, with one byte;
// wait for the parent's acknowledgement so the descriptors stay in flight
// while it checks them.
CHILD_ROLE(send_memfds) {
    LocalStream stream = LocalStream::connect(LocalSocketName::parse(args.at(0)));
    const std::vector<OwnedHandle> files = memfds(std::stoul(args.at(1)));
    CHILD_REQUIRE(stream.send("m", files) == 1);
    char ack = 0;
    stream.read_exact(MutableBuffer(&ack, 1));
    return ack == 'k' ? 0 : 1;
}

// Child: receive a pipe's write end, a file and a socket from the parent and
// use each: write into the pipe, send back the file's content, talk over the
// socket.
CHILD_ROLE(use_received) {
    LocalStream stream = LocalStream::connect(LocalSocketName::parse(args.at(0)));
    std::vector<OwnedHandle> handles;
    char tag = 0;
    CHILD_REQUIRE(stream.receive(MutableBuffer(&tag, 1), handles) == 1);
    CHILD_REQUIRE(tag == 'h');
    CHILD_REQUIRE(handles.size() == 3);
    for (const OwnedHandle& h : handles)
        CHILD_REQUIRE(is_cloexec(h));

    const std::string through_pipe = "written into the passed pipe";
    CHILD_REQUIRE(::write(handles[0].get(), through_pipe.data(), through_pipe.size()) ==
                  static_cast<ssize_t>(through_pipe.size()));
    handles[0].reset();

    const std::string file_content = testing::read_whole_file(handles[1].get());
    stream.write_all(file_content);

    LocalStream passed = LocalStream::adopt(std::move(handles[2]));
    passed.write_all("over the passed socket");
    char reply[5] = {};
    passed.read_exact(MutableBuffer(reply, 5));
    CHILD_REQUIRE(std::string(reply, 5) == "reply");
    return 0;
}

// Child: send 3 memfds with the first 14 bytes of a 104-byte message, then die.
CHILD_ROLE(send_and_die) {
    LocalStream stream = LocalStream::connect(LocalSocketName::parse(args.at(0)));
    const std::vector<OwnedHandle> files = memfds(3);
    const std::uint32_t length = 100;
    std::array<char, 14> partial{};
    std::memcpy(partial.data(), &length, sizeof length);
    std::memcpy(partial.data() + 4, "0123456789", 10);
    stream.send(buffer(partial), files);
    ::raise(SIGKILL);
    return 1;
}

TEST_SUITE("ipc") {

TEST_CASE("handles: 1, 28 and 253 descriptors in one message between processes") {
    const testing::DescriptorLeakCheck leaks;
    for (const std::size_t count : {std::size_t{1}, wayland_max_handles, max_handles_per_message}) {
        CAPTURE(count);
        const LocalSocketName name = testing::unique_namespaced_name("many");
        LocalListener listener = LocalListener::bind(name);
        auto child = testing::ChildProcess::spawn("send_memfds", {name.to_string(), std::to_string(count)});
        LocalStream stream = listener.accept();
        std::vector<OwnedHandle> received;
        char tag = 0;
        CHECK(stream.receive(MutableBuffer(&tag, 1), received) == 1);
        CHECK(tag == 'm');
        REQUIRE(received.size() == count);
        for (std::size_t i = 0; i < count; ++i) {
            CHECK(is_cloexec(received[i]));
            CHECK(testing::read_whole_file(received[i].get()) == "handle " + std::to_string(i));
        }
        received.clear();
        stream.write_all("k");
        CHECK(child.wait() == 0);
    }
}

TEST_CASE("handles: a pipe, a file and a socket are used on the other side") {
    const testing::DescriptorLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("use");
    LocalListener listener = LocalListener::bind(name);
    auto child = testing::ChildProcess::spawn("use_received", {name.to_string()});
    LocalStream stream = listener.accept();

    auto [pipe_read, pipe_write] = make_pipe();
    const testing::TempDir dir;
    const std::string file_path = (dir / "passed.txt").string();
    {
        OwnedHandle writer(::open(file_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
        REQUIRE(writer.valid());
        REQUIRE(::write(writer.get(), "content of a real file", 22) == 22);
    }
    OwnedHandle file(::open(file_path.c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(file.valid());
    auto [mine, theirs] = LocalStream::pair();

    CHECK(stream.send("h", {pipe_write.borrow(), file.borrow(), BorrowedHandle(theirs.native_handle())}) == 1);
    pipe_write.reset();
    file.reset();
    theirs = LocalStream();

    std::string from_pipe(28, '\0');
    REQUIRE(::read(pipe_read.get(), from_pipe.data(), from_pipe.size()) == 28);
    CHECK(from_pipe == "written into the passed pipe");
    char eof = 0;
    CHECK(::read(pipe_read.get(), &eof, 1) == 0); // the child's copy was closed

    std::string from_file(22, '\0');
    stream.read_exact(buffer(from_file));
    CHECK(from_file == "content of a real file");

    std::string over_socket(22, '\0');
    mine.read_exact(buffer(over_socket));
    CHECK(over_socket == "over the passed socket");
    mine.write_all("reply");
    CHECK(child.wait() == 0);
}

TEST_CASE("handles: more than the limit arrive — data delivered, all closed, stream usable") {
    const testing::DescriptorLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    std::vector<OwnedHandle> received;
    std::array<char, 8> data{};

    SUBCASE("control buffer truncated (MSG_CTRUNC)") {
        b.set_max_handles_per_receive(4);
        a.send("ten", memfds(10));
    }
    SUBCASE("more than the limit though they fit the rounded-up buffer") {
        b.set_max_handles_per_receive(1);
        a.send("two", memfds(2));
    }
    SUBCASE("a stream that refuses all handles") {
        b.set_max_handles_per_receive(0);
        a.send("one", memfds(1));
    }
    std::error_code ec;
    const std::size_t n = b.receive(buffer(data), received, ec);
    CHECK(ec == errc::handles_truncated);
    CHECK(n == 3); // the data was delivered
    CHECK(received.empty());

    // The stream goes on: the next message and its handle arrive whole.
    b.set_max_handles_per_receive(max_handles_per_message);
    a.send("next", memfds(1));
    CHECK(b.receive(buffer(data), received) == 4);
    CHECK(std::string(data.data(), 4) == "next");
    REQUIRE(received.size() == 1);
    CHECK(testing::read_whole_file(received[0].get()) == "handle 0");
}

TEST_CASE("handles: the throwing receive reports truncation with the byte count") {
    const testing::DescriptorLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    b.set_max_handles_per_receive(wayland_max_handles);
    a.send("over", memfds(wayland_max_handles + 1));
    std::vector<OwnedHandle> received;
    std::array<char, 4> data{};
    try {
        b.receive(buffer(data), received);
        FAIL("receive did not throw");
    } catch (const HandlesTruncatedError& e) {
        CHECK(e.bytes_received() == 4);
        CHECK(e.code() == errc::handles_truncated);
    }
    CHECK(received.empty());
    CHECK(std::string(data.data(), 4) == "over");
}

TEST_CASE("handles: bad requests are refused before anything is sent") {
    const testing::DescriptorLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    const std::vector<OwnedHandle> files = memfds(1);
    std::error_code ec;
    CHECK(a.send("", files, ec) == 0);
    CHECK(ec == errc::handles_need_data);
    CHECK_THROWS_AS(a.send(ConstBuffer(), files), std::system_error);

    std::vector<BorrowedHandle> too_many(max_handles_per_message + 1, files[0].borrow());
    CHECK(a.send("x", too_many, ec) == 0);
    CHECK(ec == errc::too_many_handles);
    CHECK_THROWS_AS(b.set_max_handles_per_receive(max_handles_per_message + 1), std::system_error);

    // Nothing reached the peer.
    b.set_nonblocking(true);
    std::vector<OwnedHandle> received;
    std::array<char, 4> data{};
    b.receive(buffer(data), received, ec);
    CHECK(ec == std::errc::operation_would_block);
}

TEST_CASE("handles: after a partial send the handles are not sent again") {
    const testing::DescriptorLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    // Far more than a socket buffer: the first sendmsg is partial.
    const std::vector<char> payload(8 << 20, 'p');
    const std::vector<OwnedHandle> files = memfds(2);
    std::size_t sent = 0;
    std::thread sender([&] { sent = a.send(buffer(payload), files); });

    std::vector<OwnedHandle> received;
    std::vector<char> chunk(64 << 10);
    std::size_t total = 0, receives_with_handles = 0;
    while (total < payload.size()) {
        const std::size_t before = received.size();
        total += b.receive(buffer(chunk), received);
        receives_with_handles += received.size() > before;
    }
    sender.join();
    CHECK(sent == payload.size());
    CHECK(total == payload.size());
    CHECK(received.size() == 2);
    CHECK(receives_with_handles == 1);
}

TEST_CASE("handles: a peer that dies mid-message leaves nothing behind") {
    const testing::DescriptorLeakCheck leaks;
    SUBCASE("the handles that arrived are delivered; the rest is end_of_stream") {
        const LocalSocketName name = testing::unique_namespaced_name("send-die");
        LocalListener listener = LocalListener::bind(name);
        auto child = testing::ChildProcess::spawn("send_and_die", {name.to_string()});
        LocalStream stream = listener.accept();
        CHECK(child.wait() == 128 + SIGKILL);

        std::vector<OwnedHandle> received;
        std::uint32_t length = 0;
        CHECK(stream.receive(MutableBuffer(&length, sizeof length), received) == 4);
        CHECK(length == 100);
        CHECK(received.size() == 3);
        std::vector<char> body(length);
        std::error_code ec;
        CHECK(stream.read_exact(buffer(body), ec) == 10);
        CHECK(ec == errc::end_of_stream);
    }
    SUBCASE("handles never read are released when the stream closes") {
        const LocalSocketName name = testing::unique_namespaced_name("unread");
        LocalListener listener = LocalListener::bind(name);
        auto child = testing::ChildProcess::spawn("send_and_die", {name.to_string()});
        LocalStream stream = listener.accept();
        CHECK(child.wait() == 128 + SIGKILL);
        // Read the bytes without taking the handles: the kernel discards them.
        std::array<char, 14> bytes{};
        CHECK(stream.read_some(buffer(bytes)) == 14);
    }
}

} // TEST_SUITE
