// localsock: views of caller-owned memory for reads and writes.
#pragma once

#include <cstddef>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace localsock {

// A writable byte range owned by the caller. Laid out as { pointer, size } so
// the POSIX backend can hand an array of them to readv/recvmsg unchanged.
class MutableBuffer {
public:
    constexpr MutableBuffer() noexcept = default;
    constexpr MutableBuffer(void* data, std::size_t size) noexcept : data_(data), size_(size) {}
    constexpr MutableBuffer(std::span<std::byte> bytes) noexcept
        : data_(bytes.data()), size_(bytes.size()) {}
    constexpr MutableBuffer(std::span<char> chars) noexcept
        : data_(chars.data()), size_(chars.size()) {}

    constexpr void* data() const noexcept { return data_; }
    constexpr std::size_t size() const noexcept { return size_; }

private:
    void* data_ = nullptr;
    std::size_t size_ = 0;
};

// A read-only byte range owned by the caller; same layout as MutableBuffer.
class ConstBuffer {
public:
    constexpr ConstBuffer() noexcept = default;
    constexpr ConstBuffer(const void* data, std::size_t size) noexcept : data_(data), size_(size) {}
    constexpr ConstBuffer(MutableBuffer b) noexcept : data_(b.data()), size_(b.size()) {}
    constexpr ConstBuffer(std::span<const std::byte> bytes) noexcept
        : data_(bytes.data()), size_(bytes.size()) {}
    // Text: a string literal sends its characters, not its terminating NUL.
    constexpr ConstBuffer(std::string_view text) noexcept : data_(text.data()), size_(text.size()) {}
    ConstBuffer(const std::string& text) noexcept : data_(text.data()), size_(text.size()) {}
    ConstBuffer(const char* text) noexcept : ConstBuffer(std::string_view(text)) {}

    constexpr const void* data() const noexcept { return data_; }
    constexpr std::size_t size() const noexcept { return size_; }

private:
    const void* data_ = nullptr;
    std::size_t size_ = 0;
};

// buffer(x): a view of any contiguous range of trivially copyable elements
// (std::vector, std::array, C arrays, std::string...).
template <std::ranges::contiguous_range R>
    requires std::ranges::sized_range<R> &&
             std::is_trivially_copyable_v<std::ranges::range_value_t<R>>
constexpr auto buffer(R&& range) noexcept {
    using Element = std::remove_reference_t<std::ranges::range_reference_t<R>>;
    const std::size_t bytes = std::ranges::size(range) * sizeof(Element);
    if constexpr (std::is_const_v<Element>)
        return ConstBuffer(std::ranges::data(range), bytes);
    else
        return MutableBuffer(std::ranges::data(range), bytes);
}

inline MutableBuffer buffer(void* data, std::size_t size) noexcept { return {data, size}; }
inline ConstBuffer buffer(const void* data, std::size_t size) noexcept { return {data, size}; }

} // namespace localsock
