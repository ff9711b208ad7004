// rfb_test_support.hpp — what the rfb_*_test.cpp files share: test data written as hex,
// and the three shapes every decoder's answer is checked against (a value and its size,
// an error, need_more for every truncation).
//
// Header-only on purpose: tests/CMakeLists.txt builds each *_test.cpp alone, so there is
// no second translation unit to put definitions in. Each binary includes this once.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "rfb/codec.hpp"
#include "rfb/vnc_auth.hpp"

namespace vncgate::rfb::tests {

// Hex digits to bytes; spaces and colons only make the test data readable.
inline bytes hex(std::string_view h) {
  auto nibble = [](char c) -> std::uint8_t {
    if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<std::uint8_t>(c - 'A' + 10);
    FAIL("bad hex digit in test data");
    return 0;
  };
  std::string digits;
  for (char c : h) {
    if (c != ' ' && c != ':') digits.push_back(c);
  }
  REQUIRE(digits.size() % 2 == 0);
  bytes out;
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(nibble(digits[i]) << 4 | nibble(digits[i + 1])));
  }
  return out;
}

inline bytes text(std::string_view s) { return bytes(s.begin(), s.end()); }

inline bytes concat(bytes a, const bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// 16 bytes written in hex: a VncAuth challenge or response.
inline vnc_auth_block block(std::string_view h) {
  const bytes b = hex(h);
  REQUIRE(b.size() == vnc_auth_challenge_size);
  vnc_auth_block out{};
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

// ServerInit for 1024x768, 32 bpp, depth 24, little-endian, true colour, 255/255/255,
// shifts 16/8/0, named "desi".
inline constexpr std::string_view server_init_wire =
    "0400 0300 20 18 00 01 00ff 00ff 00ff 10 08 00 000000 00000004 64657369";

// The decoder's answer is `value`, using the first `size` bytes.
template <class Result, class T>
void require_decoded(const Result& r, const T& value, std::size_t size) {
  REQUIRE(r.has_value());
  REQUIRE(r->value == value);
  REQUIRE(r->size == size);
}

// The decoder's answer is the error `expected`.
template <class Result>
void require_error(const Result& r, errc expected) {
  REQUIRE_FALSE(r.has_value());
  REQUIRE(r.error() == expected);
}

// Every strict prefix of a complete message must ask for more bytes.
template <class Decode>
void require_need_more_for_every_prefix(const bytes& full, Decode decode) {
  const auto n = GENERATE_COPY(range(std::size_t{0}, full.size()));
  INFO("prefix length " << n << " of " << full.size());
  require_error(decode(byte_view(full.data(), n)), errc::need_more);
}

}  // namespace vncgate::rfb::tests
