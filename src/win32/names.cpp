// Names on Windows: the pipe namespace only.
#include "win32.hpp"

#include "../name_rules.hpp"

#include <localsock/error.hpp>

#include <algorithm>
#include <cctype>

namespace localsock {
namespace {

constexpr std::string_view pipe_prefix = "\\\\.\\pipe\\";
// A pipe path is at most 256 characters; the prefix takes 9 of them. Counted
// in UTF-8 bytes, which is never fewer than UTF-16 units.
constexpr std::size_t max_pipe_path = 256;

} // namespace

bool LocalSocketName::supports(Kind kind) noexcept { return kind == Kind::namespaced; }

std::size_t LocalSocketName::max_length(Kind kind) noexcept {
    return supports(kind) ? max_pipe_path - pipe_prefix.size() : 0;
}

std::string_view detail::strip_namespace_prefix(std::string_view text) noexcept {
    if (text.size() < pipe_prefix.size())
        return text;
    const bool spelled_as_pipe = std::equal(pipe_prefix.begin(), pipe_prefix.end(), text.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    });
    return spelled_as_pipe ? text.substr(pipe_prefix.size()) : text;
}

std::error_code detail::check_namespaced_name(std::string_view bare) noexcept {
    // "The pipename part of the name can include any character other than a backslash."
    if (bare.find('\\') != std::string_view::npos)
        return errc::name_invalid_character;
    return {};
}

std::wstring win32::pipe_path(const LocalSocketName& name) {
    const std::string& utf8 = name.value();
    std::wstring path(L"\\\\.\\pipe\\");
    const int units = ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
    const std::size_t start = path.size();
    path.resize(start + static_cast<std::size_t>(std::max(units, 0)));
    ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), path.data() + start, units);
    return path;
}

} // namespace localsock
