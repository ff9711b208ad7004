// password_code.hpp — "password followed by a one-time code" typed into one field.
//
// Stock VNC clients send one password field, so a person with a second factor types
// the password and then the code in it ("hunter2492039"). This splits that string.
// Pure, no allocation, thread-safe. The views point into `typed`: they live exactly as
// long as the caller's buffer, and wiping that buffer wipes both parts.
#pragma once

#include <optional>
#include <string_view>

namespace vncgate::auth {

struct password_code {
  std::string_view password;  // everything before the code; never empty
  std::string_view code;      // exactly `digits` ASCII digits
};

// The last `digits` bytes of `typed` are the code when they are all ASCII '0'..'9' and
// something is left before them. nullopt ("no code") when `digits` is outside 6..8, when
// `typed` is not longer than `digits`, or when its tail is not all digits. Splitting on
// bytes is safe for UTF-8 passwords: a byte that is an ASCII digit is never part of a
// multi-byte sequence, so the split never cuts a character in two.
std::optional<password_code> split_password_code(std::string_view typed, unsigned digits) noexcept;

}  // namespace vncgate::auth
