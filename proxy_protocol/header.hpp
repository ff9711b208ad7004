// header.hpp — the PROXY protocol header a load balancer puts in front of a connection
// (HAProxy's proxy-protocol.txt, versions 1 and 2), decoded sans-I/O.
//
// Pure functions on bytes: no sockets, no allocation beyond the result, no shared state;
// thread-safe; never throws; meant to be fuzzed. The caller owns the I/O: it shows
// parse_header() the bytes it has so far, from the first byte of the connection, and
// gets one of three answers:
//   - incomplete: every byte shown belongs to a header that is not finished yet (so the
//     caller may consume them all and wait for more);
//   - a header and its exact size: the bytes after it are the client's (TLS, RFB) and
//     must be left where they are;
//   - an error: the connection does not start with a header this gateway accepts.
// A header is never longer than max_header_size: v1 lines are at most 107 bytes as the
// specification says; v2 headers at most 16 + max_v2_payload bytes (the specification
// allows 64 KiB of TLVs; nothing a gateway needs is that large).
//
// Accepted: v1 TCP4, TCP6 and UNKNOWN; v2 PROXY over TCP/IPv4 and TCP/IPv6 and LOCAL,
// TLVs checked for framing and skipped. v1 UNKNOWN, v2 LOCAL and v2 PROXY with the
// UNSPEC family say the balancer itself is the peer (health checks): the connection's
// own endpoints stand. Refused: UDP and AF_UNIX families, v2 versions other than 2 and
// commands other than LOCAL/PROXY, anything malformed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace vncgate::proxy_protocol {

inline constexpr std::size_t max_v1_size = 107;
inline constexpr std::size_t v2_fixed_size = 16;
inline constexpr std::size_t max_v2_payload = 2048;
inline constexpr std::size_t max_header_size = v2_fixed_size + max_v2_payload;

// An IP endpoint as the header gives it. IPv4 addresses use the first 4 bytes.
struct endpoint {
  bool v4 = true;
  std::array<std::uint8_t, 16> address{};
  std::uint16_t port = 0;

  std::string address_text() const;  // "192.0.2.1", "2001:db8::1"
  friend bool operator==(const endpoint&, const endpoint&) = default;
};

struct header {
  int version = 1;  // 1 or 2
  // The client as the balancer saw it, and the address it connected to; both absent
  // when the header says the balancer itself is the peer (v1 UNKNOWN, v2 LOCAL/UNSPEC).
  std::optional<endpoint> source;
  std::optional<endpoint> destination;
  std::size_t size = 0;  // bytes the header takes on the wire

  bool names_client() const noexcept { return source.has_value(); }
};

enum class error {
  not_a_header,         // the first bytes are neither a v1 nor a v2 signature
  malformed,            // a v1 line or a v2 block that breaks the specification
  unsupported_version,  // v2 version nibble other than 2
  unsupported_command,  // v2 command other than LOCAL or PROXY
  unsupported_family,   // UDP, AF_UNIX, or an unknown family or protocol
  too_long,             // over max_v1_size or max_header_size
};

// One sentence for the audit log and the operator ("not a PROXY protocol header", ...).
std::string_view describe(error e) noexcept;

struct incomplete {};

using parse_result = std::variant<incomplete, header, error>;

// The header at the start of `bytes` (all the connection has sent so far, or more).
parse_result parse_header(std::span<const std::uint8_t> bytes) noexcept;

}  // namespace vncgate::proxy_protocol
