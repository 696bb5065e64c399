#include "arguments.hpp"

#include <fmt/format.h>

#include <charconv>

namespace lsock {

namespace {

struct CommandName {
    std::string_view name;
    Command command;
};
constexpr CommandName command_names[] = {
    {"connect", Command::connect}, {"listen", Command::listen}, {"relay", Command::relay},
    {"info", Command::info},       {"pair", Command::pair},     {"help", Command::help},
};

std::string_view command_name(Command command) {
    for (const CommandName& entry : command_names)
        if (entry.command == command)
            return entry.name;
    return "lsock";
}

std::uint64_t parse_handle_number(std::string_view text) {
    int base = 10;
    if (text.starts_with("0x") || text.starts_with("0X")) {
        text.remove_prefix(2);
        base = 16;
    }
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (text.empty() || error != std::errc() || end != text.data() + text.size())
        throw UsageError(fmt::format("--send-fd wants a descriptor number, not '{}'", text));
    return value;
}

std::filesystem::perms parse_mode(std::string_view text) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 8);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || value > 0777)
        throw UsageError(fmt::format("--mode wants octal permissions such as 600 or 0660, not '{}'", text));
    return static_cast<std::filesystem::perms>(value);
}

Endpoint parse_endpoint(std::string_view text) {
    if (text.starts_with("listen:"))
        return {true, std::string(text.substr(7))};
    if (text.starts_with("connect:"))
        return {false, std::string(text.substr(8))};
    return {false, std::string(text)};
}

// Which options each command takes.
struct Allowed {
    bool type, datagram, keep, mode, send, receive, json;
};
Allowed allowed_for(Command command) {
    switch (command) {
    case Command::connect: return {true, true, false, false, true, true, true};
    case Command::listen: return {true, true, true, true, true, true, true};
    case Command::relay: return {true, false, true, true, false, false, true};
    case Command::pair: return {true, false, false, false, true, true, true};
    case Command::info: return {false, false, false, false, false, false, true};
    default: return {};
    }
}

} // namespace

std::string_view to_string(SocketType type) noexcept {
    switch (type) {
    case SocketType::stream: return "stream";
    case SocketType::seqpacket: return "seqpacket";
    case SocketType::datagram: return "datagram";
    }
    return "stream";
}

Arguments parse_arguments(std::span<const std::string> args) {
    Arguments result;
    if (args.empty())
        throw UsageError("no command given");
    const std::string_view first = args[0];
    if (first == "--help" || first == "-h" || first == "help")
        return result;
    if (first == "--version") {
        result.command = Command::version;
        return result;
    }
    bool known = false;
    for (const CommandName& entry : command_names)
        if (entry.name == first) {
            result.command = entry.command;
            known = true;
        }
    if (!known)
        throw UsageError(fmt::format("unknown command '{}'", first));

    const Allowed allowed = allowed_for(result.command);
    const std::string_view command = command_name(result.command);
    std::vector<std::string> operands;
    bool type_given = false;
    for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        const auto value = [&]() -> const std::string& {
            if (i + 1 >= args.size())
                throw UsageError(fmt::format("{} needs a value", arg));
            return args[++i];
        };
        const auto check = [&](bool ok) {
            if (!ok)
                throw UsageError(fmt::format("'lsock {}' takes no {}", command, arg));
        };
        if (arg == "--") {
            operands.insert(operands.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
            if (result.command == Command::pair) {
                result.child_argv = std::move(operands);
                operands.clear();
            }
            break;
        }
        if (arg == "--help" || arg == "-h") {
            result.command = Command::help;
            return result;
        }
        if (arg == "--seqpacket" || arg == "--datagram" || arg == "--stream") {
            check(allowed.type && (arg != "--datagram" || allowed.datagram));
            const SocketType type = arg == "--seqpacket" ? SocketType::seqpacket
                                    : arg == "--datagram" ? SocketType::datagram
                                                          : SocketType::stream;
            if (type_given && type != result.type)
                throw UsageError("choose one of --stream, --seqpacket, --datagram");
            result.type = type;
            type_given = true;
        } else if (arg == "--keep") {
            check(allowed.keep);
            result.keep = true;
        } else if (arg == "--json") {
            check(allowed.json);
            result.json = true;
        } else if (arg == "--mode") {
            check(allowed.mode);
            result.mode = parse_mode(value());
        } else if (arg == "--send-fd") {
            check(allowed.send);
            result.send.push_back({OutgoingHandle::Source::own_handle, {}, parse_handle_number(value())});
        } else if (arg == "--send-file") {
            check(allowed.send);
            result.send.push_back({OutgoingHandle::Source::file, value(), 0});
        } else if (arg == "--send-memfd") {
            check(allowed.send);
            result.send.push_back({OutgoingHandle::Source::memory, value(), 0});
        } else if (arg == "--save-fds") {
            check(allowed.receive);
            result.save_directory = value();
            if (result.save_directory.empty())
                throw UsageError("--save-fds needs a directory");
        } else if (arg == "--exec") {
            check(allowed.receive);
            result.exec_command = value();
            if (result.exec_command.empty())
                throw UsageError("--exec needs a command");
        } else if (arg.size() > 1 && arg[0] == '-') {
            throw UsageError(fmt::format("unknown option '{}'", arg));
        } else {
            operands.emplace_back(arg);
        }
    }

    const auto want_operands = [&](std::size_t count, std::string_view what) {
        if (operands.size() != count)
            throw UsageError(fmt::format("'lsock {}' takes {}", command, what));
    };
    switch (result.command) {
    case Command::connect:
    case Command::listen:
    case Command::info:
        want_operands(1, "one NAME");
        result.name = operands[0];
        break;
    case Command::relay:
        want_operands(2, "two ends, A and B");
        result.first = parse_endpoint(operands[0]);
        result.second = parse_endpoint(operands[1]);
        if (result.keep && !result.first.listen && !result.second.listen)
            throw UsageError("--keep needs an end that listens (listen:NAME)");
        if (result.mode && !result.first.listen && !result.second.listen)
            throw UsageError("--mode needs an end that listens (listen:NAME)");
        break;
    case Command::pair:
        if (!operands.empty() || result.child_argv.empty())
            throw UsageError("'lsock pair' takes a command after --: lsock pair -- CMD [ARG...]");
        break;
    default: break;
    }
    if (result.type == SocketType::datagram && result.keep)
        throw UsageError("a datagram listener serves every sender anyway: --keep is for stream and seqpacket");
    return result;
}

std::string_view usage_text() noexcept {
    return R"(lsock: local sockets from the command line, with handle passing

usage:
  lsock connect NAME [options]     stdin -> socket, socket -> stdout
  lsock listen NAME [options]      the same for one client (every client in turn with --keep)
  lsock relay A B [options]        forward bytes and handles both ways between two sockets;
                                   A and B are NAME (connect) or listen:NAME (take a client)
  lsock info NAME [--json]         who is listening on NAME, and the socket file's state
                                   (it connects as a client and leaves at once; exit status
                                   0 only if something listens)
  lsock pair [options] -- CMD...   run CMD with one end of a socket pair as descriptor 3
                                   (LISTEN_FDS=1), speak on the other end
  lsock --help | --version

NAME is read as localsock reads names: @name is namespaced (Linux abstract
socket, Windows \\.\pipe\name), anything else a socket file's path; on
Windows \\.\pipe\name is a pipe name too.

socket type (connect, listen, relay, pair):
  --stream (default) | --seqpacket (one message per read of stdin, boundaries
  kept) | --datagram (connect, listen only; a datagram listener answers the
  last sender that has a name)

handles out (connect, listen, pair; repeatable; attached to the first bytes
sent on each connection, or to a single zero byte if stdin has none):
  --send-fd N          a descriptor of lsock's own, e.g. 3<file (Windows: a handle value)
  --send-file PATH     the file at PATH, opened read-only
  --send-memfd TEXT    a sealed memfd holding TEXT (Windows: a read-only section)

A session ends when the peer closes (stdin then has half a second to
finish); the end of stdin shuts down the socket's writing side.

handles in (connect, listen, pair; relay describes what it forwards):
  every received handle is described on stderr, one line each
  --save-fds DIR       write what each handle holds (file and memfd contents,
                       a pipe's bytes) to DIR/handle-N (new files only)
  --exec CMD           run CMD (/bin/sh -c) with the handles of each message that
                       brings some as descriptors 3... and LISTEN_FDS/LISTEN_PID set,
                       and wait for it (Windows: cmd /c, the handles inherited and
                       their values in LSOCK_HANDLES)

listening (listen, relay listen:NAME):
  --keep               serve every client in turn instead of one
  --mode OCTAL         permissions of the socket file (e.g. 600)

output:
  --json               handle descriptions (and info) as one JSON object per line

exit status: 0 done; 1 the peer or the operating system said no (the message
names the operation and the socket); 2 usage.
)";
}

} // namespace lsock
