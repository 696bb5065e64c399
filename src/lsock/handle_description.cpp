#include "handle_description.hpp"

#include "json.hpp"

#include <fmt/format.h>

namespace lsock {

namespace {

std::string join(const std::vector<std::string>& words, std::string_view separator) {
    std::string out;
    for (const std::string& word : words) {
        if (!out.empty())
            out += separator;
        out += word;
    }
    return out;
}

} // namespace

std::string to_text(const HandleDescription& handle, std::size_t index, std::size_t count) {
    // Everything another process chose (paths, names) is quoted with
    // escapes: a newline in a memfd's name must not forge a second line.
    std::vector<std::string> facts;
    std::string what;
    if (!handle.socket_family.empty() && handle.socket_family != "local")
        what = fmt::format("{} ", handle.socket_family);
    what += handle.kind;
    if (!handle.socket_type.empty())
        what += fmt::format(" {}", handle.socket_type);
    if (!handle.path.empty())
        what += fmt::format(" {}", json_string(handle.path));
    if (handle.size)
        facts.push_back(fmt::format("{} bytes", *handle.size));
    if (!handle.access.empty())
        facts.push_back(handle.access);
    if (handle.listening.value_or(false))
        facts.push_back("listening");
    if (!handle.local_name.empty())
        facts.push_back("name " + json_string(handle.local_name));
    if (!handle.peer_name.empty())
        facts.push_back("peer " + json_string(handle.peer_name));
    if (handle.pid)
        facts.push_back(fmt::format("pid {}", *handle.pid));
    if (handle.kind == "memfd")
        facts.push_back(handle.seals.empty() ? "no seals" : "seals " + join(handle.seals, ","));
    std::string line = fmt::format("received handle {}/{}", index + 1, count);
    if (!handle.native.empty())
        line += " (" + handle.native + ")";
    line += ": " + what;
    if (!facts.empty())
        line += ", " + join(facts, ", ");
    return line;
}

std::string to_json(const HandleDescription& handle, std::size_t index, std::size_t count,
                    std::string_view direction) {
    JsonObject object;
    object.add("event", "handle")
        .add_if("direction", direction)
        .add("index", static_cast<std::int64_t>(index))
        .add("count", static_cast<std::int64_t>(count))
        .add("kind", handle.kind)
        .add_if("native", handle.native)
        .add_if("path", handle.path)
        .add_if("size", handle.size)
        .add_if("access", handle.access);
    if (handle.kind == "memfd")
        object.add("seals", handle.seals);
    object.add_if("socket_family", handle.socket_family)
        .add_if("socket_type", handle.socket_type)
        .add_if("local_name", handle.local_name)
        .add_if("peer_name", handle.peer_name)
        .add_if("listening", handle.listening)
        .add_if("pid", handle.pid);
    return object.str();
}

} // namespace lsock
