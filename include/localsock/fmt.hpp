// localsock: optional fmt formatters for the public types. Include it only if
// your program uses fmt; localsock itself never exposes fmt.
#pragma once

#include <localsock/name.hpp>
#include <localsock/stream.hpp>

#include <fmt/format.h>

// "@name" or the path, the same text LocalSocketName::parse() reads.
template <>
struct fmt::formatter<localsock::LocalSocketName> : fmt::formatter<std::string_view> {
    template <class FormatContext>
    auto format(const localsock::LocalSocketName& name, FormatContext& ctx) const {
        return fmt::formatter<std::string_view>::format(name.to_string(), ctx);
    }
};

// "pid 42 uid 1000 gid 1000"; fields the platform did not report are left out.
template <>
struct fmt::formatter<localsock::PeerCredentials> : fmt::formatter<std::string_view> {
    template <class FormatContext>
    auto format(const localsock::PeerCredentials& peer, FormatContext& ctx) const {
        std::string text;
        if (peer.pid)
            text += fmt::format("pid {}", *peer.pid);
        if (peer.uid)
            text += fmt::format("{}uid {}", text.empty() ? "" : " ", *peer.uid);
        if (peer.gid)
            text += fmt::format("{}gid {}", text.empty() ? "" : " ", *peer.gid);
        return fmt::formatter<std::string_view>::format(text, ctx);
    }
};
