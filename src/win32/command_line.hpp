// Private, header-only: a Windows command line that CommandLineToArgvW and
// the C runtime split back into exactly the arguments it was made of. Used
// by lsock (src/win32/lsock) and the tests' child processes.
#pragma once

#include <string>
#include <string_view>

namespace localsock::win32 {

// Appends `argument` to `line` (after a space if `line` has something),
// quoted only when it must be: empty, or holding a space, tab, newline,
// vertical tab or quote (`cmd /c` does not take a quoted switch). Inside
// quotes, backslashes are doubled only before a quote or the closing one.
inline void append_command_line_argument(std::wstring& line, std::wstring_view argument) {
    if (!line.empty())
        line += L' ';
    if (!argument.empty() && argument.find_first_of(L" \t\n\v\"") == std::wstring_view::npos) {
        line += argument;
        return;
    }
    line += L'"';
    std::size_t backslashes = 0;
    for (const wchar_t c : argument) {
        if (c == L'\\') {
            ++backslashes;
            continue;
        }
        line.append(c == L'"' ? backslashes * 2 + 1 : backslashes, L'\\');
        backslashes = 0;
        line += c;
    }
    line.append(backslashes * 2, L'\\');
    line += L'"';
}

} // namespace localsock::win32
