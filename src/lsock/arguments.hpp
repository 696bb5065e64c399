// lsock: the command line, parsed and checked before anything is opened.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lsock {

enum class Command { connect, listen, relay, info, pair, help, version };
enum class SocketType { stream, seqpacket, datagram };

std::string_view to_string(SocketType type) noexcept;

// A handle to send, as the command line named it.
struct OutgoingHandle {
    enum class Source { own_handle, file, memory };
    Source source;
    std::string value;          // the file's path, the memory's text
    std::uint64_t number = 0;   // own_handle: the descriptor / handle value
};

// A relay end: connect to the name, or listen on it and take a client.
struct Endpoint {
    bool listen = false;
    std::string name;
};

struct Arguments {
    Command command = Command::help;
    SocketType type = SocketType::stream;
    bool keep = false;
    bool json = false;
    std::optional<std::filesystem::perms> mode;
    std::vector<OutgoingHandle> send;
    std::string save_directory;
    std::string exec_command;
    std::string name;                      // connect, listen, info
    Endpoint first, second;                // relay
    std::vector<std::string> child_argv;   // pair
};

// A command line lsock cannot run: exit status 2, the message and a hint.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// `args` without the program name. Throws UsageError.
Arguments parse_arguments(std::span<const std::string> args);

// `lsock --help`.
std::string_view usage_text() noexcept;

} // namespace lsock
