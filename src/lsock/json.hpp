// lsock: a minimal JSON object writer for --json output (one object per line).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace lsock {

// The JSON text of a string: quoted, with control characters, quotes,
// backslashes and bytes that are not valid UTF-8 escaped (an invalid byte
// becomes U+FFFD: paths and names come from other processes).
std::string json_string(std::string_view text);

class JsonObject {
public:
    JsonObject& add(std::string_view key, std::string_view value);
    JsonObject& add(std::string_view key, const char* value) { return add(key, std::string_view(value)); }
    JsonObject& add(std::string_view key, std::int64_t value);
    JsonObject& add(std::string_view key, bool value);
    JsonObject& add(std::string_view key, const std::vector<std::string>& values);
    JsonObject& add_raw(std::string_view key, std::string_view json);
    // Adds the member only if there is something to say.
    JsonObject& add_if(std::string_view key, std::string_view value) {
        return value.empty() ? *this : add(key, value);
    }
    template <class T>
    JsonObject& add_if(std::string_view key, const std::optional<T>& value) {
        return value ? add(key, static_cast<std::conditional_t<std::is_same_v<T, bool>, bool, std::int64_t>>(*value))
                     : *this;
    }
    std::string str() const { return text_.empty() ? "{}" : text_ + "}"; }

private:
    void key(std::string_view name);
    std::string text_;
};

} // namespace lsock
