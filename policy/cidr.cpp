// cidr.cpp — CIDR ranges and allow/deny evaluation (see cidr.hpp).
#include "policy/cidr.hpp"

#include <algorithm>

namespace vncgate::policy {

namespace {

constexpr unsigned v4_offset = 96;  // IPv4 lives in the last 32 bits of ::ffff:0:0/96

constexpr std::string_view expected_text =
    "expected an address or CIDR such as 10.0.0.0/8 or 2001:db8::/32";

// Keeps the first `bits` bits of the 16-byte form, whatever the family.
address mask_bits(const address& a, unsigned bits) {
  auto bytes = a.bytes();
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const unsigned first_bit = static_cast<unsigned>(i) * 8;
    if (bits >= first_bit + 8) continue;
    const unsigned keep = bits > first_bit ? bits - first_bit : 0;
    bytes[i] = static_cast<std::uint8_t>(bytes[i] & (0xff00u >> keep));
  }
  return address::v6(bytes);
}

// Whether a and b agree on their first `bits` bits.
bool same_prefix(const address::v6_bytes& a, const address::v6_bytes& b, unsigned bits) {
  const std::size_t whole = bits / 8;
  if (!std::equal(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(whole), b.begin())) {
    return false;
  }
  const unsigned rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff00u >> rest);
  return (a[whole] & mask) == (b[whole] & mask);
}

// Strict decimal: one to three digits, no sign, no spaces, no leading zero.
std::optional<unsigned> parse_prefix(std::string_view text) {
  if (text.empty() || text.size() > 3) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value;
}

parsed_cidr failure(std::string message) { return {std::nullopt, std::move(message)}; }

}  // namespace

std::optional<cidr> cidr::make(const address& network, unsigned prefix) noexcept {
  const bool v4 = network.is_v4();
  if (prefix > (v4 ? 32u : 128u)) return std::nullopt;
  if (network.masked(prefix) != network) return std::nullopt;
  cidr c;
  c.network_ = network;
  c.bits_ = static_cast<std::uint8_t>(v4 ? v4_offset + prefix : prefix);
  return c;
}

unsigned cidr::prefix() const noexcept { return is_v4() ? bits_ - v4_offset : bits_; }

bool cidr::contains(const address& a) const noexcept {
  // The family check is what keeps ::/0 (and any IPv6 range around ::ffff:0:0/96) from
  // matching IPv4 peers; for IPv4 ranges the mapped prefix is part of bits_ anyway.
  if (a.is_v4() != is_v4()) return false;
  return same_prefix(a.bytes(), network_.bytes(), bits_);
}

std::string cidr::to_string() const { return network_.to_string() + '/' + std::to_string(prefix()); }

parsed_cidr parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  const auto address_text = text.substr(0, slash);
  const auto parsed = parse_address(address_text);
  if (!parsed) return failure(std::string(expected_text));

  // The prefix counts in the notation the administrator used: "::ffff:10.0.0.0/104" is
  // an IPv6 prefix even though the result is the IPv4 range 10.0.0.0/8.
  const bool v6_notation = address_text.find(':') != std::string_view::npos;
  const unsigned most = v6_notation ? 128 : 32;
  unsigned prefix = most;
  if (slash != std::string_view::npos) {
    const auto p = parse_prefix(text.substr(slash + 1));
    if (!p || *p > most) {
      return failure("the prefix length after '/' must be a number from 0 to " +
                     std::to_string(most) + " (" + std::string(expected_text) + ")");
    }
    prefix = *p;
  }

  // Host bits are checked over the 16-byte form so that the mapped block's own bits
  // count: "::ffff:10.0.0.0/8" has the ffff bits set after the first 8.
  const unsigned bits = v6_notation ? prefix : v4_offset + prefix;
  const address network = mask_bits(*parsed, bits);
  if (network != *parsed) {
    // The hint is in the notation that was used, so it can be pasted back as is.
    const std::string hint = v6_notation && network.is_v4() ? "::ffff:" + network.to_string()
                                                             : network.to_string();
    return failure("bits are set after the prefix length /" + std::to_string(prefix) +
                   ": write the network address, " + hint + '/' + std::to_string(prefix));
  }
  // A mapped network implies bits >= 96 here (a shorter prefix would clear the ffff).
  return {cidr::make(network, network.is_v4() ? bits - v4_offset : bits), {}};
}

access_decision access_rules::evaluate(const address& a) const noexcept {
  for (std::size_t i = 0; i < deny.size(); ++i) {
    if (deny[i].contains(a)) return {access_reason::deny_rule, i};
  }
  if (allow.empty()) return {access_reason::allow_all, 0};
  for (std::size_t i = 0; i < allow.size(); ++i) {
    if (allow[i].contains(a)) return {access_reason::allow_rule, i};
  }
  return {access_reason::not_in_allow, 0};
}

std::string_view to_string(access_reason r) noexcept {
  switch (r) {
    case access_reason::allow_all: return "allow_all";
    case access_reason::allow_rule: return "allow_rule";
    case access_reason::deny_rule: return "deny_rule";
    case access_reason::not_in_allow: return "not_in_allow";
  }
  return "unknown";
}

}  // namespace vncgate::policy
