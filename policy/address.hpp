// address.hpp — an IPv4 or IPv6 address as a plain value, for access decisions.
//
// Pure values: no I/O, no name lookups, no clocks, no shared state. Thread-safe.
//
// Every address is kept as 16 bytes. IPv4 is stored in its IPv4-mapped form
// (::ffff:a.b.c.d), so one byte comparison serves both families, and an IPv4 peer is
// the same value whether it reached an IPv4 socket or a dual-stack IPv6 socket (which
// reports it as ::ffff:a.b.c.d). The family is read back from the bytes: an address in
// ::ffff:0:0/96 *is* IPv4 and prints as "a.b.c.d". Nothing else is folded: IPv4-
// compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 addresses stay IPv6.
//
// The gateway converts a socket endpoint with address::v4(bytes) or address::v6(bytes)
// (asio's to_bytes() arrays fit as they are).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vncgate::policy {

class address {
 public:
  using v4_bytes = std::array<std::uint8_t, 4>;
  using v6_bytes = std::array<std::uint8_t, 16>;

  address() = default;  // "::", the unspecified IPv6 address

  static address v4(const v4_bytes& bytes) noexcept;
  // A v4-mapped address (::ffff:a.b.c.d) becomes the IPv4 address a.b.c.d.
  static address v6(const v6_bytes& bytes) noexcept;

  bool is_v4() const noexcept;
  // The 16-byte form; for IPv4 that is ::ffff:a.b.c.d.
  const v6_bytes& bytes() const noexcept { return bytes_; }
  // Keeps the first `prefix` bits, counted in the address's own family (0..32 for IPv4,
  // 0..128 for IPv6; larger values keep everything). IPv4 stays IPv4.
  address masked(unsigned prefix) const noexcept;

  // "192.0.2.1"; IPv6 in RFC 5952 form: lower case, longest run of two or more zero
  // groups shortened to "::" (the first such run on a tie), e.g. "2001:db8::1".
  std::string to_string() const;

  friend bool operator==(const address&, const address&) = default;
  // Any strict total order (by bytes), for ordered containers.
  friend std::strong_ordering operator<=>(const address&, const address&) = default;

 private:
  v6_bytes bytes_{};
};

// Dotted-quad IPv4 ("192.0.2.1", four decimal parts, no leading zeros, so "010.0.0.1"
// cannot mean octal to one reader and decimal to another) or textual IPv6 as in
// RFC 4291 ("2001:db8::1", "::ffff:192.0.2.1"). No brackets, zone ids ("fe80::1%eth0"),
// ports, spaces or host names. nullopt for anything else; never throws.
std::optional<address> parse_address(std::string_view text);

}  // namespace vncgate::policy
