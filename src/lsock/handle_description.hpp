// lsock: what a received handle is, for the one line lsock prints about it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lsock {

// Filled in by the platform (describe_handle); fields it cannot tell stay
// empty and are left out of the line.
struct HandleDescription {
    std::string kind;                  // file, directory, device, pipe, socket, memfd, eventfd, pidfd,
                                       // section, process, event, … ("unknown" if nothing tells)
    std::string path;                  // a file's path; a memfd's name; Windows: the object's path
    std::optional<std::uint64_t> size; // files, memfds, sections
    std::string access;                // read-only, write-only, read-write; pipe: read end / write end
    std::vector<std::string> seals;    // memfd seals: seal, shrink, grow, write, future-write, exec
    std::string socket_type;           // stream, seqpacket, datagram
    std::string socket_family;         // local, ipv4, ipv6, netlink, …
    std::string local_name;            // a local socket's own name (@abstract, a path)
    std::string peer_name;             // the name of what it is connected to
    std::optional<bool> listening;
    std::optional<std::int64_t> pid;   // pidfd, process handle: the process
    std::string native;                // the number in this process: "fd 5", "handle 0x1a4"
};

// `received handle 1/2 (fd 5): memfd "lsock", 5 bytes, seals: seal,shrink,grow,write`
std::string to_text(const HandleDescription& handle, std::size_t index, std::size_t count);
// One JSON object on one line, with "event":"handle" (and "direction", the
// relay's "A -> B", if given).
std::string to_json(const HandleDescription& handle, std::size_t index, std::size_t count,
                    std::string_view direction = {});

} // namespace lsock
