// Fuzzes how lsock prints strings another process chose (a memfd's name, a
// path, a socket name): src/lsock/json.cpp's escaping and the one-line
// handle description. Properties: the JSON string is one valid JSON string
// (quoted, no raw control character, valid UTF-8, every quote and backslash
// escaped) that decodes back to the input where the input was valid UTF-8;
// a description is one line whatever its strings hold.
#include "lsock/handle_description.hpp"
#include "lsock/json.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void violated(const char* property) {
    __builtin_printf("property violated: %s\n", property);
    std::abort();
}

unsigned hex_value(char c) {
    if (c >= '0' && c <= '9')
        return static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f')
        return static_cast<unsigned>(c - 'a' + 10);
    violated("\\u escape with a digit that is not lowercase hex");
}

void append_utf8(std::string& out, unsigned code) {
    if (code < 0x80) {
        out += static_cast<char>(code);
    } else if (code < 0x800) {
        out += static_cast<char>(0xC0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
        out += static_cast<char>(0xE0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    }
}

// Decodes the JSON string (the subset json_string writes), checking it.
std::string decode(std::string_view json, bool& replaced) {
    if (json.size() < 2 || json.front() != '"' || json.back() != '"')
        violated("not quoted");
    std::string out;
    for (std::size_t i = 1; i + 1 < json.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(json[i]);
        if (c < 0x20 || c == 0x7F)
            violated("a raw control character");
        if (c == '"')
            violated("an unescaped quote");
        if (c != '\\') {
            out += static_cast<char>(c);
            continue;
        }
        if (++i + 1 >= json.size())
            violated("a dangling backslash");
        switch (json[i]) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
            if (i + 4 >= json.size())
                violated("a short \\u escape");
            unsigned code = 0;
            for (int k = 1; k <= 4; ++k)
                code = code * 16 + hex_value(json[i + k]);
            i += 4;
            if (code == 0xFFFD)
                replaced = true;
            append_utf8(out, code);
            break;
        }
        default: violated("an unknown escape");
        }
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::string json = lsock::json_string(input);
    bool replaced = false;
    const std::string decoded = decode(json, replaced);
    if (!replaced && decoded != input)
        violated("the JSON string does not decode to the input");

    lsock::HandleDescription description;
    description.kind = "memfd";
    description.path = std::string(input);
    description.local_name = std::string(input);
    const std::string line = lsock::to_text(description, 0, 1);
    if (line.find('\n') != std::string::npos || line.find('\r') != std::string::npos)
        violated("a description spans lines");
    const std::string object = lsock::to_json(description, 0, 1);
    if (object.find('\n') != std::string::npos)
        violated("a JSON description spans lines");
    return 0;
}
