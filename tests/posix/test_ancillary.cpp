// Typed ancillary data on POSIX: the builder's CMSG arithmetic, descriptors,
// credentials (own, forged by a privileged sender, refused to an unprivileged
// one, of a child that changed uid), timestamps, MSG_PEEK and truncation.
#include <doctest/doctest.h>

#include "../support/process.hpp"
#include "../support/resources.hpp"

#include <localsock/localsock.hpp>

#include <array>
#include <chrono>
#include <string>

#include <sys/socket.h>
#include <unistd.h>

using namespace localsock;

namespace {

std::string text(const std::array<char, 64>& data, const ReceiveResult& r) { return std::string(data.data(), r.bytes); }

bool running_as_root() { return ::getuid() == 0; }

} // namespace

// Child: send one datagram to args[0] according to args[1]:
//  own      — with add_credentials() (its own)
//  forged   — as root, with pid/uid/gid 777/888 (the kernel allows root that)
//  setuid   — become uid/gid 4321 and send without credentials (the kernel
//             attaches them because the receiver asked with SO_PASSCRED)
//  dropped  — become uid 65534 and try to claim uid 0: must fail with EPERM;
//             then send "refused" without credentials
CHILD_ROLE(credentials_sender) {
    const LocalSocketName to = LocalSocketName::parse(args.at(0));
    const std::string mode = args.at(1);
    LocalDatagram socket = LocalDatagram::unbound();
    ancillary::Builder control;
    if (mode == "own") {
        control.add_credentials();
    } else if (mode == "forged") {
        control.add_credentials({::getpid(), 777, 888});
    } else if (mode == "setuid") {
        CHILD_REQUIRE(::setresgid(4321, 4321, 4321) == 0 && ::setresuid(4321, 4321, 4321) == 0);
    } else if (mode == "dropped") {
        CHILD_REQUIRE(::setresgid(65534, 65534, 65534) == 0 && ::setresuid(65534, 65534, 65534) == 0);
        control.add_credentials({::getpid(), 0, 0});
        std::error_code ec;
        socket.send_to(to, "claim", control, ec);
        CHILD_REQUIRE(ec == std::errc::operation_not_permitted);
        socket.send_to(to, "refused");
        return 0;
    }
    socket.send_to(to, mode, control);
    return 0;
}

// Child: send "files" to args[0] with two files attached through a Builder.
CHILD_ROLE(ancillary_files_sender) {
    LocalDatagram socket = LocalDatagram::unbound();
    OwnedHandle a = testing::file_with("file A");
    OwnedHandle b = testing::file_with("file B");
    ancillary::Builder control;
    const std::array<BorrowedHandle, 2> handles{a.borrow(), b.borrow()};
    control.add_handles(handles);
    socket.send_to(LocalSocketName::parse(args.at(0)), "files", control);
    return 0;
}

TEST_SUITE("unit") {

TEST_CASE("ancillary builder: CMSG_SPACE/CMSG_LEN layout, alignment, overflow") {
    const testing::HandleLeakCheck leaks;
    OwnedHandle file = testing::file_with("x");
    ancillary::Builder control;
    CHECK(control.empty());
    const std::array<BorrowedHandle, 3> three{file.borrow(), file.borrow(), file.borrow()};
    control.add_handles(three);
    const std::array<std::byte, 5> odd{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}, std::byte{5}};
    control.add(4242, 7, odd); // a user-defined message of an unaligned size
    control.add_credentials();
    const std::uint64_t value = 0x1122334455667788;
    control.add(4242, 8, value);
    CHECK(control.bytes().size() ==
          CMSG_SPACE(3 * sizeof(int)) + CMSG_SPACE(5) + CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(sizeof value));

    msghdr message{};
    message.msg_control = const_cast<std::byte*>(control.bytes().data());
    message.msg_controllen = control.bytes().size();
    std::vector<std::pair<int, std::size_t>> seen; // type, payload length
    int user_messages = 0;                         // at level 4242: their payloads were compared
    for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
        CHECK(reinterpret_cast<std::uintptr_t>(c) % alignof(cmsghdr) == 0);
        seen.emplace_back(c->cmsg_type, c->cmsg_len - CMSG_LEN(0));
        user_messages += c->cmsg_level == 4242;
        if (c->cmsg_level == 4242 && c->cmsg_type == 7)
            CHECK(std::memcmp(CMSG_DATA(c), odd.data(), odd.size()) == 0);
        if (c->cmsg_level == 4242 && c->cmsg_type == 8) {
            std::uint64_t read_back = 0;
            std::memcpy(&read_back, CMSG_DATA(c), sizeof read_back);
            CHECK(read_back == value);
        }
    }
    const std::vector<std::pair<int, std::size_t>> expected{
        {SCM_RIGHTS, 3 * sizeof(int)}, {7, 5}, {SCM_CREDENTIALS, sizeof(ucred)}, {8, sizeof value}};
    CHECK(seen == expected);
    CHECK(user_messages == 2);

    // Full: a clear error, and what was built stays as it was.
    const std::size_t before = control.bytes().size();
    std::vector<std::byte> big(ancillary::capacity);
    std::error_code ec;
    CHECK_FALSE(control.add(4242, 9, big, ec));
    CHECK(ec == std::errc::no_buffer_space);
    CHECK(control.bytes().size() == before);
    std::vector<BorrowedHandle> too_many(max_handles_per_message + 1, file.borrow());
    CHECK_FALSE(control.add_handles(too_many, ec));
    CHECK(ec == errc::too_many_handles);
    CHECK_THROWS_AS(control.add_handles(too_many), std::system_error);
    control.clear();
    CHECK(control.empty());
}

} // TEST_SUITE

TEST_SUITE("ipc") {

TEST_CASE("ancillary: descriptors from another process are owned until taken") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("anc-files");
    LocalDatagram socket = LocalDatagram::bind(name);
    auto child = testing::ChildProcess::spawn("ancillary_files_sender", {name.to_string()});
    std::array<char, 64> data{};
    ancillary::Received control;
    const ReceiveResult r = socket.receive(buffer(data), control);
    CHECK(text(data, r) == "files");
    CHECK_FALSE(control.truncated());
    CHECK(control.handle_count() == 2);
    int rights = 0;
    for (const auto& message : control)
        if (message.level == SOL_SOCKET && message.type == SCM_RIGHTS) {
            ++rights;
            CHECK(message.payload.size() == 2 * sizeof(int));
        }
    CHECK(rights == 1);
    CHECK(control.get<int>(SOL_SOCKET, SCM_RIGHTS).has_value()); // the extension-style typed read
    std::vector<OwnedHandle> files = control.take_handles();
    REQUIRE(files.size() == 2);
    CHECK(control.handle_count() == 0);
    CHECK_FALSE(testing::is_inheritable(files[0]));
    CHECK(testing::read_whole_file(files[0]) == "file A");
    CHECK(testing::read_whole_file(files[1]) == "file B");
    CHECK(child.wait() == 0);
}

TEST_CASE("ancillary: descriptors not taken are closed by the Received (and by the next receive)") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalDatagram::pair();
    OwnedHandle file = testing::file_with("y");
    std::array<char, 64> data{};
    const std::size_t open_before = testing::count_open_handles();
    {
        ancillary::Received control;
        a.send("one", {file.borrow()});
        (void)b.receive(buffer(data), control);
        CHECK(testing::count_open_handles() == open_before + 1);
        a.send("two", {file.borrow()});
        (void)b.receive(buffer(data), control); // closes the first one
        CHECK(testing::count_open_handles() == open_before + 1);
    }
    CHECK(testing::count_open_handles() == open_before);
}

TEST_CASE("ancillary: MSG_PEEK gets fresh descriptors of its own, then the real receive") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalDatagram::pair();
    OwnedHandle file = testing::file_with("peeked");
    a.send("look", {file.borrow()});
    std::array<char, 64> data{};
    ancillary::Received peeked;
    ReceiveResult r = b.receive(buffer(data), peeked, ReceiveFlags::peek);
    CHECK(text(data, r) == "look");
    std::vector<OwnedHandle> first = peeked.take_handles();
    ancillary::Received taken;
    r = b.receive(buffer(data), taken);
    CHECK(text(data, r) == "look");
    std::vector<OwnedHandle> second = taken.take_handles();
    REQUIRE(first.size() == 1);
    REQUIRE(second.size() == 1);
    CHECK(first[0].get() != second[0].get());
    CHECK(testing::read_whole_file(first[0]) == "peeked");
    CHECK(testing::read_whole_file(second[0]) == "peeked");
    std::error_code ec;
    b.set_nonblocking(true);
    (void)b.receive(buffer(data), taken, ReceiveFlags::none, ec);
    CHECK(ec == std::errc::operation_would_block); // the peek did not leave a copy queued
}

TEST_CASE("ancillary: more descriptors than accepted — control truncation, data kept, none leak") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalSeqpacket::pair();
    OwnedHandle f1 = testing::file_with("1");
    OwnedHandle f2 = testing::file_with("2");
    b.set_max_handles_per_receive(1);
    a.send("pair", {f1.borrow(), f2.borrow()});
    std::array<char, 64> data{};
    ancillary::Received control;
    std::error_code ec;
    const ReceiveResult r = b.receive(buffer(data), control, ReceiveFlags::none, ec);
    CHECK(ec == errc::control_truncated);
    CHECK(r.control_truncated);
    CHECK_FALSE(r.data_truncated);
    CHECK(text(data, r) == "pair");
    CHECK(control.truncated());
    CHECK(control.handle_count() == 0);
    CHECK(control.take_handles().empty());
}

TEST_CASE("ancillary: credentials the kernel vouches for") {
    const testing::HandleLeakCheck leaks;
    const LocalSocketName name = testing::unique_namespaced_name("anc-creds");
    LocalDatagram socket = LocalDatagram::bind(name);
    socket.set_receive_credentials(true);
    std::array<char, 64> data{};
    ancillary::Received control;

    auto receive_from_child = [&](const char* mode) {
        auto child = testing::ChildProcess::spawn("credentials_sender", {name.to_string(), mode});
        const std::int64_t pid = child.pid();
        const ReceiveResult r = socket.receive(buffer(data), control);
        CHECK(child.wait() == 0);
        REQUIRE(control.credentials().has_value());
        CHECK(control.credentials()->pid == pid);
        return text(data, r);
    };

    CHECK(receive_from_child("own") == "own");
    CHECK(control.credentials()->uid == ::getuid());
    CHECK(control.credentials()->gid == ::getgid());

    if (!running_as_root()) {
        // What an unprivileged process can check: the kernel refuses its claim to be root.
        ancillary::Builder claim;
        claim.add_credentials({::getpid(), 0, 0});
        std::error_code ec;
        LocalDatagram::unbound().send_to(name, "claim", claim, ec);
        CHECK(ec == std::errc::operation_not_permitted);
        MESSAGE("not root: the forged, setuid and dropped-privilege cases need root to set up");
        return;
    }
    CHECK(receive_from_child("setuid") == "setuid");
    CHECK(control.credentials()->uid == 4321);
    CHECK(control.credentials()->gid == 4321);

    auto forged = testing::ChildProcess::spawn("credentials_sender", {name.to_string(), "forged"});
    const ReceiveResult r = socket.receive(buffer(data), control);
    CHECK(forged.wait() == 0);
    CHECK(text(data, r) == "forged");
    REQUIRE(control.credentials().has_value());
    CHECK(control.credentials()->uid == 777);
    CHECK(control.credentials()->gid == 888);

    CHECK(receive_from_child("dropped") == "refused");
    CHECK(control.credentials()->uid == 65534);
}

TEST_CASE("ancillary: credentials and a descriptor on a stream") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalStream::pair();
    b.set_receive_credentials(true);
    OwnedHandle file = testing::file_with("streamed");
    ancillary::Builder out;
    out.add_credentials();
    const std::array<BorrowedHandle, 1> one{file.borrow()};
    out.add_handles(one);
    CHECK(a.send("bytes", out) == 5);
    std::array<char, 64> data{};
    ancillary::Received in;
    const ReceiveResult r = b.receive(buffer(data), in);
    CHECK(text(data, r) == "bytes");
    REQUIRE(in.credentials().has_value());
    CHECK(*in.credentials() == ancillary::own_credentials());
    std::vector<OwnedHandle> files = in.take_handles();
    REQUIRE(files.size() == 1);
    CHECK(testing::read_whole_file(files[0]) == "streamed");
}

TEST_CASE("ancillary: credentials and timestamps switched on do not truncate the handle forms") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalDatagram::pair();
    b.set_receive_credentials(true);
    b.set_receive_timestamps(true);
    OwnedHandle file = testing::file_with("z");
    std::array<char, 64> data{};
    std::vector<OwnedHandle> handles;
    a.send("plain");
    ReceiveResult r = b.receive(buffer(data)); // accepts no handles; none came
    CHECK_FALSE(r.control_truncated);
    b.set_max_handles_per_receive(1);
    a.send("one", {file.borrow()});
    r = b.receive(buffer(data), handles);
    CHECK_FALSE(r.control_truncated);
    CHECK(handles.size() == 1);
}

TEST_CASE("ancillary: arrival timestamps on datagrams") {
    const testing::HandleLeakCheck leaks;
    auto [a, b] = LocalDatagram::pair();
    b.set_receive_timestamps(true);
    const auto before = std::chrono::system_clock::now();
    a.send("when");
    std::array<char, 64> data{};
    ancillary::Received control;
    (void)b.receive(buffer(data), control);
    const auto after = std::chrono::system_clock::now();
    REQUIRE(control.timestamp().has_value());
    CHECK(*control.timestamp() >= std::chrono::time_point_cast<std::chrono::nanoseconds>(before) -
                                      std::chrono::milliseconds(1));
    CHECK(*control.timestamp() <= std::chrono::time_point_cast<std::chrono::nanoseconds>(after));
    b.set_receive_timestamps(false);
    a.send("untimed");
    (void)b.receive(buffer(data), control);
    CHECK_FALSE(control.timestamp().has_value());
}

} // TEST_SUITE
