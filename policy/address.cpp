// address.cpp — IPv4/IPv6 address values (see address.hpp).
#include "policy/address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstddef>

namespace vncgate::policy {

namespace {

constexpr std::size_t mapped_prefix_bytes = 12;  // ::ffff:0:0/96
constexpr std::array<std::uint8_t, mapped_prefix_bytes> mapped_prefix{
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// Keeps the first `bits` bits of the 128-bit form.
address::v6_bytes mask_bits(address::v6_bytes bytes, unsigned bits) noexcept {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const unsigned first_bit = static_cast<unsigned>(i) * 8;
    if (bits >= first_bit + 8) continue;
    const unsigned keep = bits > first_bit ? bits - first_bit : 0;
    bytes[i] = static_cast<std::uint8_t>(bytes[i] & (0xff00u >> keep));
  }
  return bytes;
}

std::string v4_text(const address::v6_bytes& b) {
  std::string out;
  for (std::size_t i = mapped_prefix_bytes; i < b.size(); ++i) {
    if (i > mapped_prefix_bytes) out += '.';
    out += std::to_string(b[i]);
  }
  return out;
}

std::string v6_text(const address::v6_bytes& b) {
  std::array<unsigned, 8> groups{};
  for (std::size_t g = 0; g < groups.size(); ++g) {
    groups[g] = (static_cast<unsigned>(b[2 * g]) << 8) | b[2 * g + 1];
  }
  // RFC 5952 4.2: shorten the longest run of zero groups, only when it is two or more
  // groups long, and the first one when two runs tie.
  std::size_t best_start = groups.size(), best_len = 1;
  for (std::size_t g = 0; g < groups.size();) {
    if (groups[g] != 0) {
      ++g;
      continue;
    }
    std::size_t end = g;
    while (end < groups.size() && groups[end] == 0) ++end;
    if (end - g > best_len) best_start = g, best_len = end - g;
    g = end;
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (g == best_start) {
      out += "::";
      g += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    bool started = false;  // RFC 5952 4.1: no leading zeros
    for (int shift = 12; shift >= 0; shift -= 4) {
      const unsigned digit = (groups[g] >> shift) & 0xf;
      if (digit != 0 || started || shift == 0) {
        out += hex[digit];
        started = true;
      }
    }
  }
  return out;
}

}  // namespace

address address::v4(const v4_bytes& bytes) noexcept {
  address a;
  std::copy(mapped_prefix.begin(), mapped_prefix.end(), a.bytes_.begin());
  std::copy(bytes.begin(), bytes.end(), a.bytes_.begin() + mapped_prefix_bytes);
  return a;
}

address address::v6(const v6_bytes& bytes) noexcept {
  // Mapped addresses need no conversion: they already are our IPv4 form.
  address a;
  a.bytes_ = bytes;
  return a;
}

bool address::is_v4() const noexcept {
  return std::equal(mapped_prefix.begin(), mapped_prefix.end(), bytes_.begin());
}

address address::masked(unsigned prefix) const noexcept {
  const unsigned bits = is_v4() ? 96 + std::min(prefix, 32u) : std::min(prefix, 128u);
  return v6(mask_bits(bytes_, bits));
}

std::string address::to_string() const { return is_v4() ? v4_text(bytes_) : v6_text(bytes_); }

std::optional<address> parse_address(std::string_view text) {
  // inet_pton wants a C string; the longest valid form is 45 characters
  // ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"). An embedded NUL would let
  // inet_pton see a shorter string than we were given.
  constexpr std::size_t longest = 45;
  if (text.empty() || text.size() > longest) return std::nullopt;
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  std::array<char, longest + 1> c_text{};
  std::copy(text.begin(), text.end(), c_text.begin());

  if (text.find(':') == std::string_view::npos) {
    address::v4_bytes b{};
    if (inet_pton(AF_INET, c_text.data(), b.data()) != 1) return std::nullopt;
    return address::v4(b);
  }
  address::v6_bytes b{};
  if (inet_pton(AF_INET6, c_text.data(), b.data()) != 1) return std::nullopt;
  return address::v6(b);
}

}  // namespace vncgate::policy
