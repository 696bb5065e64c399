// lsock connect, listen and pair: a terminal session on one connection.
#include "commands.hpp"

#include "connection.hpp"
#include "handles.hpp"
#include "input_feed.hpp"
#include "json.hpp"
#include "session.hpp"
#include "system.hpp"

#include <fmt/format.h>

namespace lsock {

using localsock::BorrowedHandle;
using localsock::LocalSocketName;
using localsock::OwnedHandle;

namespace {

std::vector<BorrowedHandle> borrow_all(const std::vector<OwnedHandle>& handles) {
    return {handles.begin(), handles.end()};
}

// A line about the session on stderr: `text`, or with --json the object.
void announce(bool json, std::string_view text, const JsonObject& object) {
    if (json)
        write_stderr_line(object.str());
    else
        report(text);
}

// "connection from pid 42, uid 1000" as the kernel saw the peer.
void announce_peer(bool json, const Connection& connection) {
    std::error_code ec;
    const localsock::PeerCredentials peer = connection.peer_credentials(ec);
    std::string text = "connection";
    JsonObject object;
    object.add("event", "connected");
    if (!ec && peer.pid) {
        text += fmt::format(" from pid {}", *peer.pid);
        object.add("pid", *peer.pid);
    }
    if (!ec && peer.uid) {
        text += fmt::format(", uid {}", *peer.uid);
        object.add("uid", static_cast<std::int64_t>(*peer.uid));
    }
    if (!ec && !peer.user_sid.empty()) {
        text += fmt::format(", user {}", peer.user_sid);
        object.add("user_sid", peer.user_sid);
    }
    announce(json, text, object);
}

} // namespace

int run_connect(const Arguments& arguments) {
    const LocalSocketName name = parse_name(arguments.name);
    InputFeed::standard_input(); // reading ahead while connecting
    ReceivedHandles received(arguments);
    const std::vector<OwnedHandle> outgoing = open_outgoing_handles(arguments.send);
    Connection connection = Connection::connect(arguments.type, name);
    return run_session(connection, borrow_all(outgoing), received) ? 0 : 1;
}

int run_listen(const Arguments& arguments) {
    const LocalSocketName name = parse_name(arguments.name);
    InputFeed::standard_input(); // ready for the first client
    ReceivedHandles received(arguments);
    // Opened before listening (a wrong path fails at once), and again for
    // each later client of --keep: a file or memfd opened anew has an offset
    // of its own, so every client's `cat <&3` reads it all (a shared one
    // stays wherever the previous client left it).
    std::vector<OwnedHandle> outgoing = open_outgoing_handles(arguments.send);
    Listener listener = Listener::bind(arguments.type, name, arguments.mode);
    if (name.is_filesystem())
        remove_on_termination(name.value());
    announce(arguments.json, fmt::format("listening on {}", name.to_string()),
             JsonObject().add("event", "listening").add("name", name.to_string()));
    for (bool first = true;; first = false) {
        Connection connection = listener.accept();
        if (!arguments.keep)
            listener.close(); // one client: the name is free again at once
        if (arguments.type != SocketType::datagram)
            announce_peer(arguments.json, connection);
        if (!first && !arguments.send.empty())
            outgoing = open_outgoing_handles(arguments.send);
        const bool ok = run_session(connection, borrow_all(outgoing), received);
        if (!arguments.keep)
            return ok ? 0 : 1;
    }
}

int run_pair(const Arguments& arguments) {
    InputFeed::standard_input();
    ReceivedHandles received(arguments);
    const std::vector<OwnedHandle> outgoing = open_outgoing_handles(arguments.send);
    Connection ours;
    OwnedHandle theirs;
    std::error_code ec;
    if (arguments.type == SocketType::seqpacket) {
        auto [a, b] = localsock::LocalSeqpacket::pair(ec);
        ours = Connection(std::move(a));
        theirs = b.release();
    } else {
        auto [a, b] = localsock::LocalStream::pair(ec);
        ours = Connection(std::move(a));
        theirs = b.release();
    }
    if (ec)
        fail(ec, "create a socket pair");
    const BorrowedHandle child_end[] = {theirs};
    ChildProcess child = spawn_with_handles(arguments.child_argv, child_end, ec);
    if (ec)
        fail(ec, "run", arguments.child_argv[0]);
    theirs.reset(); // the child's end is the child's: its exit ends the session
    ours.set_label(fmt::format("pair with {}", arguments.child_argv[0]));
    const bool ok = run_session(ours, borrow_all(outgoing), received);
    const int status = wait_for(child, ec);
    if (ec)
        fail(ec, "wait for", arguments.child_argv[0]);
    if (status != 0) {
        report(fmt::format("'{}' exited with status {}", arguments.child_argv[0], status));
        return 1;
    }
    return ok ? 0 : 1;
}

} // namespace lsock
