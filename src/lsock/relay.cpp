// lsock relay: bytes and handles both ways between two sockets, one thread
// per direction, each reading one socket and writing the other (the
// library's contract: one reader and one writer per socket at a time).
#include "commands.hpp"

#include "connection.hpp"
#include "handles.hpp"
#include "json.hpp"
#include "system.hpp"

#include <localsock/error.hpp>

#include <fmt/format.h>

#include <optional>
#include <thread>

namespace lsock {

using localsock::BorrowedHandle;
using localsock::LocalSocketName;
using localsock::OwnedHandle;

namespace {

// One direction's buffers, allocated once for every connection of a
// --keep relay: forwarding allocates nothing per message.
struct Direction {
    std::string label; // "A -> B"
    std::vector<std::byte> buffer;
    std::vector<OwnedHandle> handles;
    std::vector<BorrowedHandle> borrowed;

    Direction(std::string text, SocketType type)
        : label(std::move(text)), buffer(type == SocketType::stream ? 256 * 1024 : 1024 * 1024) {
        handles.reserve(localsock::max_handles_per_message);
        borrowed.reserve(localsock::max_handles_per_message);
    }
};

// From `from` to `to` until `from` ends; then `to` reads its end. An error
// ends the direction the same way, after reporting it (so the other
// direction ends too once the peers see their ends). False after an error.
bool forward(Direction& direction, Connection& from, Connection& to, ReceivedHandles& describer) {
    bool ok = true;
    for (;;) {
        std::error_code ec;
        const Connection::Received got = from.receive(direction.buffer, direction.handles, ec);
        if (ec) {
            report(fmt::format("{}: receive from '{}': {}", direction.label, from.name(),
                               localsock::error_message(ec)));
            ok = false;
            break;
        }
        if (got.end)
            break;
        if (!direction.handles.empty()) {
            describer.describe(direction.handles, direction.label);
            direction.borrowed.assign(direction.handles.begin(), direction.handles.end());
        }
        to.send(std::span(direction.buffer).first(got.bytes), direction.borrowed, ec);
        // Our copies of the handles go: the peer has its own now.
        direction.handles.clear();
        direction.borrowed.clear();
        if (ec) {
            report(fmt::format("{}: send to '{}': {}", direction.label, to.name(), localsock::error_message(ec)));
            ok = false;
            break;
        }
    }
    std::error_code ignored; // a peer that already left cannot be told
    to.shutdown_write(ignored);
    return ok;
}

struct End {
    Endpoint endpoint;
    LocalSocketName name;
    std::optional<Listener> listener;
};

Connection open(End& end, SocketType type) {
    if (end.listener) {
        Connection connection = end.listener->accept();
        return connection;
    }
    return Connection::connect(type, end.name);
}

} // namespace

int run_relay(const Arguments& arguments) {
    if (arguments.type == SocketType::datagram)
        throw UsageError("relay forwards stream and seqpacket connections");
    End ends[2] = {{arguments.first, parse_name(arguments.first.name), {}},
                   {arguments.second, parse_name(arguments.second.name), {}}};
    ReceivedHandles describer(arguments);
    for (End& end : ends) {
        if (!end.endpoint.listen)
            continue;
        end.listener = Listener::bind(arguments.type, end.name, arguments.mode);
        if (end.name.is_filesystem())
            remove_on_termination(end.name.value());
        if (arguments.json)
            write_stderr_line(JsonObject().add("event", "listening").add("name", end.name.to_string()).str());
        else
            report(fmt::format("listening on {}", end.name.to_string()));
    }
    Direction a_to_b("A -> B", arguments.type);
    Direction b_to_a("B -> A", arguments.type);
    for (;;) {
        bool ok = true;
        try {
            Connection a = open(ends[0], arguments.type);
            Connection b = open(ends[1], arguments.type);
            bool back_ok = true;
            std::thread back([&] { back_ok = forward(b_to_a, b, a, describer); });
            ok = forward(a_to_b, a, b, describer);
            back.join();
            ok = ok && back_ok;
        } catch (const Failure& failure) {
            if (!arguments.keep)
                throw;
            report(std::string_view(failure.what()).substr(7)); // without "lsock: "
            ok = false;
        }
        if (!arguments.keep)
            return ok ? 0 : 1;
    }
}

} // namespace lsock
