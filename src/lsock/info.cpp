// lsock info: is anything listening on NAME, who, and the socket file's state.
#include "commands.hpp"

#include "connection.hpp"
#include "handles.hpp"
#include "json.hpp"
#include "system.hpp"

#include <localsock/error.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <optional>

namespace lsock {

using localsock::LocalSocketName;

namespace {

struct Probe {
    bool listening = false;
    std::string type;             // what answered: stream, seqpacket, datagram
    std::error_code error;        // why nothing did
    localsock::PeerCredentials server;
    bool have_credentials = false;
};

// Whether a socket of another type may hold the name the last probe failed
// on: a socket file of another type answers "wrong protocol type", but Linux
// keeps abstract names per socket type, so there a name bound by a socket of
// another type refuses the connection as if nobody held it.
bool another_type_may_answer(std::error_code ec, const LocalSocketName& name) {
    return ec == std::errc::wrong_protocol_type || (name.is_namespaced() && ec == std::errc::connection_refused);
}

// Connects as a client would, trying each socket type in turn, and closes at
// once: the server sees a client that leaves without a word. If none
// answers, the stream probe's error tells why (unless it was only "wrong
// protocol type": then the last probe's does).
Probe probe(const LocalSocketName& name) {
    Probe result;
    localsock::ConnectOptions options;
    // No framing handshake on Windows: a plain client, as any could be.
    options.handle_passing = false;
    options.busy_timeout = std::chrono::seconds(1);
    std::error_code ec;
    // A connected socket of either connection type: who the server is.
    const auto answered = [&](const auto& socket, const char* type) {
        result.listening = true;
        result.type = type;
        result.server = socket.peer_credentials(ec);
        result.have_credentials = !ec;
        return result;
    };
    localsock::LocalStream stream = localsock::LocalStream::connect(name, options, ec);
    if (!ec)
        return answered(stream, "stream");
    const std::error_code stream_error = ec;
    const auto nobody = [&](std::error_code last) {
        result.error = stream_error == std::errc::wrong_protocol_type ? last : stream_error;
        return result;
    };
    if (!another_type_may_answer(ec, name))
        return nobody(ec);
    localsock::LocalSeqpacket seqpacket = localsock::LocalSeqpacket::connect(name, options, ec);
    if (!ec)
        return answered(seqpacket, "seqpacket");
    if (!another_type_may_answer(ec, name))
        return nobody(ec);
    localsock::LocalDatagram datagram = localsock::LocalDatagram::unbound(ec);
    if (!ec)
        datagram.connect(name, ec);
    if (!ec) {
        result.listening = true;
        result.type = "datagram";
        return result;
    }
    return nobody(ec);
}

std::string octal_mode(std::uint32_t mode) { return fmt::format("{:04o}", mode); }

std::string why_not(const Probe& probe, const SocketFileFacts& file, bool filesystem) {
    if (probe.error == std::errc::connection_refused)
        return filesystem && file.is_socket ? "nobody is listening: the socket file is stale"
                                            : "nobody is listening";
    if (probe.error == std::errc::no_such_file_or_directory)
        return "nothing has that name";
    if (probe.error == std::errc::permission_denied)
        return filesystem ? "this user may not connect (the file's or a directory's permissions)"
                          : "this user may not connect (the pipe's security descriptor does not admit it)";
    return localsock::error_message(probe.error);
}

} // namespace

int run_info(const Arguments& arguments) {
    const LocalSocketName name = parse_name(arguments.name);
    const bool filesystem = name.is_filesystem();
    SocketFileFacts file;
    std::error_code file_error;
    if (filesystem)
        file = socket_file_facts(name.value(), file_error);
    const Probe found = probe(name);
    const bool stale = filesystem && file.is_socket && found.error == std::errc::connection_refused;
    const auto& server = found.server;
    const std::string program = found.have_credentials && server.pid ? program_name(*server.pid) : std::string();
    // Whether the name's access control (a socket file's permissions, a
    // pipe's security descriptor) admits this user: known when the connect
    // went through, or was refused for that reason.
    std::optional<bool> admits_us;
    if (found.listening)
        admits_us = true;
    else if (found.error == std::errc::permission_denied)
        admits_us = false;

    if (arguments.json) {
        JsonObject object;
        object.add("event", "info").add("name", name.to_string()).add("kind", filesystem ? "filesystem" : "namespaced");
        if (filesystem) {
            JsonObject facts;
            facts.add("exists", file.exists);
            if (file.exists) {
                facts.add("type", file.type)
                    .add("owner_uid", static_cast<std::int64_t>(file.owner_uid))
                    .add_if("owner", user_name(file.owner_uid))
                    .add("owner_gid", static_cast<std::int64_t>(file.owner_gid))
                    .add("mode", octal_mode(file.mode));
            }
            if (file_error)
                facts.add("error", localsock::error_message(file_error));
            object.add_raw("file", facts.str()).add("stale", stale);
        }
        object.add("listening", found.listening).add_if("admits_us", admits_us);
        if (found.listening)
            object.add("socket_type", found.type);
        else
            object.add("reason", why_not(found, file, filesystem));
        if (found.have_credentials) {
            JsonObject who;
            who.add_if("pid", server.pid).add_if("program", program);
            if (server.uid)
                who.add("uid", static_cast<std::int64_t>(*server.uid)).add_if("user", user_name(*server.uid));
            if (server.gid)
                who.add("gid", static_cast<std::int64_t>(*server.gid));
            who.add_if("user_sid", server.user_sid);
            object.add_raw("server", who.str());
        }
        std::puts(object.str().c_str());
    } else {
        std::string out = fmt::format("name:      {} ({})\n", name.to_string(), filesystem ? "socket file" : "namespaced");
        if (filesystem) {
            if (!file.exists) {
                out += fmt::format("file:      {}\n", file_error ? localsock::error_message(file_error) : "none");
            } else {
                const std::string owner = user_name(file.owner_uid);
                out += fmt::format("file:      {}, owner uid {}{}, gid {}, mode {}{}\n", file.type, file.owner_uid,
                                   owner.empty() ? "" : " (" + owner + ")", file.owner_gid, octal_mode(file.mode),
                                   stale ? ", stale" : "");
            }
        }
        out += found.listening ? fmt::format("listening: yes ({})\n", found.type)
                               : fmt::format("listening: no: {}\n", why_not(found, file, filesystem));
        if (admits_us)
            out += *admits_us ? "access:    this user may connect\n" : "access:    denied to this user\n";
        if (found.have_credentials) {
            if (server.pid)
                out += fmt::format("server:    pid {}{}\n", *server.pid, program.empty() ? "" : " (" + program + ")");
            if (server.uid) {
                const std::string user = user_name(*server.uid);
                out += fmt::format("user:      uid {}{}, gid {}\n", *server.uid, user.empty() ? "" : " (" + user + ")",
                                   server.gid.value_or(0));
            }
            if (!server.user_sid.empty())
                out += fmt::format("user:      {}\n", server.user_sid);
        }
        std::fputs(out.c_str(), stdout);
    }
    return found.listening ? 0 : 1;
}

} // namespace lsock
