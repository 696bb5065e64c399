// Receive paths against a hostile or foreign peer (issue 9, finding 7): an
// empty sequenced packet is not the end of the stream, a 0-byte stream
// receive takes no handles, every descriptor the kernel installs through a
// control message is owned (SCM_PIDFD too), a receiver out of descriptors and
// a sender with too many in flight are told so, and a crafted timestamp does
// not overflow.
#include <doctest/doctest.h>

#include "../support/process.hpp"
#include "../support/resources.hpp"

#include <localsock/localsock.hpp>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

using namespace localsock;

namespace {

#if defined(__linux__) && !defined(SO_PASSPIDFD)
constexpr int SO_PASSPIDFD = 76; // Linux 6.5; older headers lack it
#endif

std::string text(const std::array<char, 64>& data, const ReceiveResult& r) { return std::string(data.data(), r.bytes); }

// What a foreign peer does with plain system calls: one message of `bytes`
// (possibly empty) with `fds` attached, no localsock checks in the way.
void raw_send(int socket, std::string_view bytes, std::initializer_list<int> fds = {}) {
    iovec data{const_cast<char*>(bytes.data()), bytes.size()};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    alignas(cmsghdr) unsigned char control[CMSG_SPACE(sizeof(int) * 4)] = {};
    if (fds.size() != 0) {
        message.msg_control = control;
        message.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
        cmsghdr* header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(header), fds.begin(), sizeof(int) * fds.size());
    }
    REQUIRE(::sendmsg(socket, &message, MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
}

// A seqpacket pair whose first end is a raw descriptor (the foreign peer).
std::pair<OwnedHandle, LocalSeqpacket> foreign_pair() {
    auto [a, b] = LocalSeqpacket::pair();
    return {a.release(), std::move(b)};
}

// The lowest descriptor number free right now: an RLIMIT_NOFILE of that
// leaves no room for one more.
rlim_t lowest_free_descriptor() {
    const int probe = ::dup(0);
    ::close(probe);
    return static_cast<rlim_t>(probe);
}

} // namespace

// Child: a foreign client of the listener args[0], with plain system calls:
// an empty message, then "file" with a memfd, then it closes.
CHILD_ROLE(raw_empty_message_client) {
    const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    CHILD_REQUIRE(fd >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string name = args.at(0).substr(1); // "@name": abstract
    std::memcpy(address.sun_path + 1, name.data(), name.size());
    const socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    CHILD_REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&address), length) == 0);
    CHILD_REQUIRE(::send(fd, "", 0, MSG_NOSIGNAL) == 0);
    OwnedHandle file = testing::file_with("after the empty message");
    iovec data{const_cast<char*>("file"), 4};
    alignas(cmsghdr) unsigned char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    const int file_fd = file.get();
    std::memcpy(CMSG_DATA(header), &file_fd, sizeof file_fd);
    CHILD_REQUIRE(::sendmsg(fd, &message, MSG_NOSIGNAL) == 4);
    ::close(fd);
    return 0;
}

// Child: receives "files" with two descriptors while it has no descriptor
// number left (RLIMIT_NOFILE lowered to the lowest free one), through every
// receive form: each must say out_of_handles, deliver the data and leak
// nothing. args[0]: "seqpacket" or "stream".
CHILD_ROLE(receiver_out_of_descriptors) {
    const bool stream = args.at(0) == "stream";
    OwnedHandle f1 = testing::file_with("1");
    OwnedHandle f2 = testing::file_with("2");
    auto send_files = [&](auto& sender) { sender.send("files", {f1.borrow(), f2.borrow()}); };
    rlimit saved{};
    CHILD_REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
    auto starve = [&] {
        const rlimit low{lowest_free_descriptor(), saved.rlim_max};
        CHILD_REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    };
    auto restore = [&] { CHILD_REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0); };
    std::array<char, 64> data{};
    std::vector<OwnedHandle> handles;
    ancillary::Received control;
    const std::size_t open_before = testing::count_open_handles();
    if (stream) {
        auto [a, b] = LocalStream::pair();
        std::error_code ec;
        send_files(a);
        starve();
        std::size_t n = b.receive(buffer(data), handles, ec);
        restore();
        CHILD_REQUIRE(ec == errc::out_of_handles);
        CHILD_REQUIRE(ec == std::errc::too_many_files_open);
        CHILD_REQUIRE(n == 5 && std::string(data.data(), n) == "files");
        CHILD_REQUIRE(handles.empty());
        send_files(a);
        starve();
        ReceiveResult r = b.receive(buffer(data), control, ReceiveFlags::none, ec);
        restore();
        CHILD_REQUIRE(ec == errc::out_of_handles);
        CHILD_REQUIRE(r.control_truncated && r.bytes == 5 && control.truncated() && control.handle_count() == 0);
        send_files(a);
        starve();
        try {
            (void)b.receive(buffer(data), handles);
            CHILD_REQUIRE(false);
        } catch (const HandlesTruncatedError& e) {
            restore();
            CHILD_REQUIRE(e.code() == errc::out_of_handles);
            CHILD_REQUIRE(e.bytes_received() == 5);
            CHILD_REQUIRE(std::string(e.what()).find("ran out of descriptors") != std::string::npos);
        }
        restore();
        // The stream stays usable, handles and all.
        send_files(a);
        n = b.receive(buffer(data), handles);
        CHILD_REQUIRE(n == 5 && handles.size() == 2);
        handles.clear();
    } else {
        auto [a, b] = LocalSeqpacket::pair();
        std::error_code ec;
        send_files(a);
        starve();
        ReceiveResult r = b.receive(buffer(data), handles, ec);
        restore();
        CHILD_REQUIRE(ec == errc::out_of_handles);
        CHILD_REQUIRE(r.control_truncated && r.bytes == 5 && handles.empty());
        send_files(a);
        starve();
        r = b.receive(buffer(data), control, ReceiveFlags::none, ec);
        restore();
        CHILD_REQUIRE(ec == errc::out_of_handles);
        CHILD_REQUIRE(r.control_truncated && control.truncated() && control.handle_count() == 0);
        // Too many for the limit (not for the process) is still handles_truncated.
        b.set_max_handles_per_receive(1);
        send_files(a);
        r = b.receive(buffer(data), handles, ec);
        CHILD_REQUIRE(ec == errc::handles_truncated);
    }
    control.clear();
    CHILD_REQUIRE(testing::count_open_handles() == open_before);
    return 0;
}

// Child: as an unprivileged user (no CAP_SYS_RESOURCE) with a low open-file
// limit, sends descriptors nobody receives until the kernel refuses with
// ETOOMANYREFS; localsock must say what that means.
CHILD_ROLE(too_many_in_flight_sender) {
    auto [a, b] = LocalStream::pair();
    CHILD_REQUIRE(::setresgid(65534, 65534, 65534) == 0 && ::setresuid(65534, 65534, 65534) == 0);
    const rlimit low{64, 64};
    CHILD_REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    OwnedHandle file = testing::file_with("f");
    std::error_code ec;
    for (int i = 0; i < 1000 && !ec; ++i)
        a.send("x", {file.borrow()}, ec);
    CHILD_REQUIRE(ec == errc::too_many_handles_in_flight);
    CHILD_REQUIRE(ec.message().find("in flight") != std::string::npos);
    try {
        a.send("x", {file.borrow()});
        CHILD_REQUIRE(false);
    } catch (const std::system_error& e) {
        CHILD_REQUIRE(std::string(e.what()).find("Too many references") == std::string::npos);
        CHILD_REQUIRE(std::string(e.what()).find("too many handles in flight") != std::string::npos);
    }
    return 0;
}

TEST_SUITE("ipc") {

TEST_CASE("hostile receive: an empty seqpacket message is errc::empty_message, not the end, in every receive form") {
    const testing::HandleLeakCheck leaks;
    auto [peer, socket] = foreign_pair();
    OwnedHandle file = testing::file_with("still here");
    std::array<char, 64> data{};
    std::vector<OwnedHandle> handles;
    ancillary::Received control;
    std::error_code ec;

    // Peer still connected, nothing behind the empty message.
    raw_send(peer.get(), "");
    ReceiveResult r = socket.receive(buffer(data), ec);
    CHECK(ec == errc::empty_message);
    CHECK(r.bytes == 0);

    // Empty messages followed by one with a handle: the handle form, the
    // plain form, the ancillary form, the throwing form, next_message_size.
    raw_send(peer.get(), "");
    raw_send(peer.get(), "");
    raw_send(peer.get(), "");
    raw_send(peer.get(), "");
    raw_send(peer.get(), "after", {file.get()});
    CHECK(socket.next_message_size(ec) == 0);
    CHECK(ec == errc::empty_message);
    r = socket.receive(buffer(data), handles, ec);
    CHECK(ec == errc::empty_message);
    CHECK(handles.empty());
    r = socket.receive(buffer(data), control, ReceiveFlags::peek, ec);
    CHECK(ec == errc::empty_message);
    r = socket.receive(buffer(data), control, ReceiveFlags::none, ec);
    CHECK(ec == errc::empty_message);
    CHECK(control.empty());
    r = socket.receive(buffer(data), ec);
    CHECK(ec == errc::empty_message);
    try {
        (void)socket.receive(buffer(data), handles);
        FAIL("an empty message must not read as success");
    } catch (const std::system_error& e) {
        CHECK(e.code() == errc::empty_message);
    }
    CHECK(socket.next_message_size() == 5);
    r = socket.receive(buffer(data), handles);
    CHECK(text(data, r) == "after");
    REQUIRE(handles.size() == 1);
    CHECK(testing::read_whole_file(handles[0]) == "still here");

    // An empty message carrying handles: consumed, its handles closed.
    raw_send(peer.get(), "", {file.get(), file.get()});
    raw_send(peer.get(), "last");
    r = socket.receive(buffer(data), handles, ec);
    CHECK(ec == errc::empty_message);
    CHECK(handles.size() == 1);
    r = socket.receive(buffer(data), handles);
    CHECK(text(data, r) == "last");

    // Then the real end: bytes == 0 without an error, for good.
    peer.reset();
    CHECK(socket.next_message_size() == 0);
    r = socket.receive(buffer(data), handles, ec);
    CHECK_FALSE(ec);
    CHECK(r.bytes == 0);
    r = socket.receive(buffer(data), control, ReceiveFlags::none, ec);
    CHECK_FALSE(ec);
    CHECK(r.bytes == 0);
}

TEST_CASE("hostile receive: empty messages queued before the peer closed are not the end") {
    const testing::HandleLeakCheck leaks;
    auto [peer, socket] = foreign_pair();
    OwnedHandle file = testing::file_with("behind two empty messages");
    raw_send(peer.get(), "");
    raw_send(peer.get(), "");
    raw_send(peer.get(), "x", {file.get()});
    peer.reset(); // closed before anything was read
    std::array<char, 64> data{};
    std::vector<OwnedHandle> handles;
    std::error_code ec;
    ReceiveResult r = socket.receive(buffer(data), handles, ec);
    CHECK(ec == errc::empty_message);
    r = socket.receive(buffer(data), handles, ec);
    CHECK(ec == errc::empty_message);
    r = socket.receive(buffer(data), handles, ec);
    CHECK_FALSE(ec);
    CHECK(text(data, r) == "x");
    REQUIRE(handles.size() == 1);
    CHECK(testing::read_whole_file(handles[0]) == "behind two empty messages");
    r = socket.receive(buffer(data), handles, ec);
    CHECK_FALSE(ec);
    CHECK(r.bytes == 0);
}

TEST_CASE("hostile receive: with receive credentials on, even a last empty message before the close is told apart") {
    const testing::HandleLeakCheck leaks;
    auto [peer, socket] = foreign_pair();
    socket.set_receive_credentials(true);
    raw_send(peer.get(), "");
    raw_send(peer.get(), "");
    peer.reset();
    std::array<char, 64> data{};
    std::error_code ec;
    ReceiveResult r = socket.receive(buffer(data), ec);
    CHECK(ec == errc::empty_message);
    r = socket.receive(buffer(data), ec);
    CHECK(ec == errc::empty_message);
    r = socket.receive(buffer(data), ec);
    CHECK_FALSE(ec);
    CHECK(r.bytes == 0);
}

TEST_CASE("hostile receive: a foreign client's empty message, then a handle, then its close (two processes)") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("empty-msg");
    LocalSeqpacketListener listener = LocalSeqpacketListener::bind(name);
    auto child = testing::ChildProcess::spawn("raw_empty_message_client", {name.to_string()});
    LocalSeqpacket client = listener.accept();
    CHECK(child.wait() == 0); // everything sent and the client gone before the first receive
    std::array<char, 64> data{};
    std::vector<OwnedHandle> handles;
    std::error_code ec;
    ReceiveResult r = client.receive(buffer(data), handles, ec);
    CHECK(ec == errc::empty_message);
    r = client.receive(buffer(data), handles, ec);
    CHECK_FALSE(ec);
    CHECK(text(data, r) == "file");
    REQUIRE(handles.size() == 1);
    CHECK(testing::read_whole_file(handles[0]) == "after the empty message");
    r = client.receive(buffer(data), handles, ec);
    CHECK_FALSE(ec);
    CHECK(r.bytes == 0);
}

TEST_CASE("hostile receive: an empty datagram is an empty datagram (no end of stream there)") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalDatagram::pair();
    a.send(ConstBuffer(nullptr, 0));
    std::array<char, 64> data{};
    std::error_code ec;
    CHECK(b.next_message_size(ec) == 0);
    CHECK_FALSE(ec);
    const ReceiveResult r = b.receive(buffer(data), ec);
    CHECK_FALSE(ec);
    CHECK(r.bytes == 0);
}

TEST_CASE("hostile receive: a stream receive into 0 bytes takes no handles (ancillary form, as the handle form)") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    OwnedHandle file = testing::file_with("with its byte");
    a.send("x", {file.borrow()});
    std::array<char, 64> data{};
    ancillary::Received control;
    std::error_code ec;
    ReceiveResult r = b.receive(MutableBuffer(data.data(), 0), control, ReceiveFlags::none, ec);
    CHECK_FALSE(ec);
    CHECK(r.bytes == 0);
    CHECK(control.empty());
    std::vector<OwnedHandle> handles;
    CHECK(b.receive(MutableBuffer(data.data(), 0), handles, ec) == 0);
    CHECK(handles.empty());
    r = b.receive(buffer(data), control);
    CHECK(text(data, r) == "x");
    std::vector<OwnedHandle> came = control.take_handles();
    REQUIRE(came.size() == 1); // the handles arrive with their byte
    CHECK(testing::read_whole_file(came[0]) == "with its byte");
}

TEST_CASE("hostile receive: SCM_PIDFD descriptors (SO_PASSPIDFD) are owned by every receive form") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalSeqpacket::pair();
    const int on = 1;
    if (::setsockopt(b.native_handle(), SOL_SOCKET, SO_PASSPIDFD, &on, sizeof on) != 0) {
        WARN_MESSAGE(false, "this kernel has no SO_PASSPIDFD (Linux 6.5+): SCM_PIDFD ownership not tested");
        return;
    }
    auto [sa, sb] = LocalStream::pair();
    REQUIRE(::setsockopt(sb.native_handle(), SOL_SOCKET, SO_PASSPIDFD, &on, sizeof on) == 0);
    auto [da, db] = LocalDatagram::pair();
    REQUIRE(::setsockopt(db.native_handle(), SOL_SOCKET, SO_PASSPIDFD, &on, sizeof on) == 0);
    OwnedHandle file = testing::file_with("f");
    std::array<char, 64> data{};
    std::vector<OwnedHandle> handles;
    const std::size_t open_before = testing::count_open_handles();
    for (int i = 0; i < 10; ++i) { // the handle forms: the pidfd is closed, the handles delivered
        a.send("m", {file.borrow()});
        (void)b.receive(buffer(data), handles);
        a.send("m");
        (void)b.receive(buffer(data));
        sa.send("s", {file.borrow()});
        (void)sb.receive(buffer(data), handles);
        da.send("d");
        (void)db.receive(buffer(data), handles);
        sa.write_all("r");
        CHECK(sb.read_some(buffer(data)) == 1);
    }
    CHECK(handles.size() == 20);
    handles.clear();
    CHECK(testing::count_open_handles() == open_before);

    // The ancillary form: owned by the Received, lent, taken, or closed.
    ancillary::Received control;
    a.send("m", {file.borrow()});
    (void)b.receive(buffer(data), control);
    REQUIRE(control.pidfd().valid());
    CHECK(testing::process_id_of(control.pidfd()) == testing::current_pid());
    CHECK(control.handle_count() == 1);
    CHECK(control.take_handles().size() == 1);
    CHECK(control.pidfd().valid()); // taking the handles leaves the pidfd
    OwnedHandle pidfd = control.take_pidfd();
    CHECK(pidfd.valid());
    CHECK_FALSE(control.pidfd().valid());
    CHECK(testing::process_id_of(pidfd) == testing::current_pid());
    pidfd.reset();
    a.send("m");
    (void)b.receive(buffer(data), control, ReceiveFlags::peek);
    CHECK(control.pidfd().valid());
    (void)b.receive(buffer(data), control); // the peeked one is closed here
    control.clear();
    CHECK(testing::count_open_handles() == open_before);

    // A truncated receive closes it with the handles.
    b.set_max_handles_per_receive(1);
    a.send("two", {file.borrow(), file.borrow()});
    std::error_code ec;
    (void)b.receive(buffer(data), control, ReceiveFlags::none, ec);
    CHECK(ec == errc::control_truncated);
    CHECK_FALSE(control.pidfd().valid());
    control.clear();
    CHECK(testing::count_open_handles() == open_before);
}

TEST_CASE("hostile receive: a receiver out of descriptors is told so (errc::out_of_handles), seqpacket and stream") {
    for (const char* kind : {"seqpacket", "stream"}) {
        CAPTURE(kind);
        auto child = testing::ChildProcess::spawn("receiver_out_of_descriptors", {kind});
        CHECK(child.wait() == 0);
    }
}

TEST_CASE("hostile receive: ETOOMANYREFS on send says what it means (errc::too_many_handles_in_flight)") {
    if (::getuid() != 0) {
        WARN_MESSAGE(false, "not root: cannot become an unprivileged user to hit ETOOMANYREFS; not tested");
        return;
    }
    auto child = testing::ChildProcess::spawn("too_many_in_flight_sender");
    CHECK(child.wait() == 0);
}

TEST_CASE("hostile receive: every error code added here has its own message") {
    for (errc e : {errc::out_of_handles, errc::too_many_handles_in_flight, errc::empty_message}) {
        const std::string message = make_error_code(e).message();
        CHECK(message.find("unknown") == std::string::npos);
        CHECK(message.size() > 20);
    }
    CHECK(make_error_code(errc::out_of_handles) == std::errc::too_many_files_open);
}

} // TEST_SUITE
