// header.cpp — PROXY protocol v1 and v2 decoding (see header.hpp for the contract).
#include "proxy_protocol/header.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace vncgate::proxy_protocol {
namespace {

using byte_span = std::span<const std::uint8_t>;

constexpr std::string_view v1_signature = "PROXY ";
constexpr std::array<std::uint8_t, 12> v2_signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                       0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

// True when the first min(size, signature) bytes agree with the signature.
bool starts_like(byte_span bytes, byte_span signature) noexcept {
  const std::size_t n = std::min(bytes.size(), signature.size());
  return std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n), signature.begin());
}

byte_span as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::uint16_t read_u16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

// ---- version 1: "PROXY TCP4 192.0.2.1 198.51.100.1 40000 5900\r\n" ----

// A decimal port: 1 to 5 digits, no leading zero (but "0"), at most 65535.
std::optional<std::uint16_t> parse_port(std::string_view s) noexcept {
  if (s.empty() || s.size() > 5 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  unsigned value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

std::optional<endpoint> parse_v1_endpoint(bool v4, std::string_view address, std::string_view port) noexcept {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.empty() || address.size() >= sizeof text) return std::nullopt;
  std::memcpy(text, address.data(), address.size());
  endpoint e;
  e.v4 = v4;
  if (::inet_pton(v4 ? AF_INET : AF_INET6, text, e.address.data()) != 1) return std::nullopt;
  auto p = parse_port(port);
  if (!p) return std::nullopt;
  e.port = *p;
  return e;
}

parse_result parse_v1(byte_span bytes) noexcept {
  const std::size_t window = std::min(bytes.size(), max_v1_size);
  const auto* end = bytes.data() + window;
  const auto* newline = std::find(bytes.data(), end, std::uint8_t{'\n'});
  if (newline == end) {
    if (bytes.size() >= max_v1_size) return error::too_long;
    return incomplete{};
  }
  const std::size_t size = static_cast<std::size_t>(newline - bytes.data()) + 1;
  if (size < 2 || bytes[size - 2] != '\r') return error::malformed;
  std::string_view line(reinterpret_cast<const char*>(bytes.data()), size - 2);

  // "PROXY UNKNOWN": the balancer does not know the client; whatever follows is ignored.
  line.remove_prefix(v1_signature.size());
  if (line == "UNKNOWN" || line.starts_with("UNKNOWN ")) return header{1, std::nullopt, std::nullopt, size};
  // Otherwise five fields after "PROXY ", separated by exactly one space.
  std::array<std::string_view, 5> fields;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto space = line.find(' ');
    const bool last = i + 1 == fields.size();
    if (last != (space == std::string_view::npos)) return error::malformed;
    fields[i] = line.substr(0, space);
    if (fields[i].empty()) return error::malformed;
    if (!last) line.remove_prefix(space + 1);
  }
  if (fields[0] != "TCP4" && fields[0] != "TCP6") return error::malformed;
  const bool v4 = fields[0] == "TCP4";
  auto source = parse_v1_endpoint(v4, fields[1], fields[3]);
  auto destination = parse_v1_endpoint(v4, fields[2], fields[4]);
  if (!source || !destination) return error::malformed;
  return header{1, source, destination, size};
}

// ---- version 2: signature, version/command, family/protocol, length, block ----

enum : std::uint8_t { command_local = 0x0, command_proxy = 0x1 };
enum : std::uint8_t { unspec = 0x00, tcp_over_ipv4 = 0x11, tcp_over_ipv6 = 0x21 };

// TLVs: type (1), length (2), value; each must lie inside the block.
bool tlvs_well_framed(byte_span tlvs) noexcept {
  while (!tlvs.empty()) {
    if (tlvs.size() < 3) return false;
    const std::size_t length = read_u16(tlvs.data() + 1);
    if (tlvs.size() < 3 + length) return false;
    tlvs = tlvs.subspan(3 + length);
  }
  return true;
}

parse_result parse_v2(byte_span bytes) noexcept {
  if (bytes.size() < v2_fixed_size) return incomplete{};
  const std::uint8_t version = bytes[12] >> 4, command = bytes[12] & 0x0F;
  if (version != 2) return error::unsupported_version;
  if (command != command_local && command != command_proxy) return error::unsupported_command;
  const std::size_t length = read_u16(bytes.data() + 14);
  if (length > max_v2_payload) return error::too_long;
  if (bytes.size() < v2_fixed_size + length) return incomplete{};
  const std::size_t size = v2_fixed_size + length;
  const byte_span block = bytes.subspan(v2_fixed_size, length);

  // LOCAL: the balancer speaking for itself; the block is ignored, as the spec says.
  const std::uint8_t family = bytes[13];
  if (command == command_local || family == unspec) return header{2, std::nullopt, std::nullopt, size};
  if (family != tcp_over_ipv4 && family != tcp_over_ipv6) return error::unsupported_family;

  const bool v4 = family == tcp_over_ipv4;
  const std::size_t address_size = v4 ? 4 : 16;
  const std::size_t addresses_size = 2 * address_size + 4;
  if (length < addresses_size) return error::malformed;
  if (!tlvs_well_framed(block.subspan(addresses_size))) return error::malformed;
  endpoint source, destination;
  source.v4 = destination.v4 = v4;
  std::copy_n(block.data(), address_size, source.address.data());
  std::copy_n(block.data() + address_size, address_size, destination.address.data());
  source.port = read_u16(block.data() + 2 * address_size);
  destination.port = read_u16(block.data() + 2 * address_size + 2);
  return header{2, source, destination, size};
}

}  // namespace

std::string endpoint::address_text() const {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(v4 ? AF_INET : AF_INET6, address.data(), text, sizeof text);
  return text;
}

std::string_view describe(error e) noexcept {
  switch (e) {
    case error::not_a_header: return "the connection did not start with a PROXY protocol header";
    case error::malformed: return "malformed PROXY protocol header";
    case error::unsupported_version: return "PROXY protocol v2 header with an unknown version";
    case error::unsupported_command: return "PROXY protocol v2 header with an unknown command";
    case error::unsupported_family: return "PROXY protocol header for a family other than TCP over IPv4/IPv6";
    case error::too_long: return "PROXY protocol header longer than the gateway accepts";
  }
  return "PROXY protocol error";
}

parse_result parse_header(std::span<const std::uint8_t> bytes) noexcept {
  if (bytes.empty()) return incomplete{};
  if (starts_like(bytes, as_bytes(v1_signature))) {
    if (bytes.size() < v1_signature.size()) return incomplete{};
    return parse_v1(bytes);
  }
  if (starts_like(bytes, v2_signature)) return parse_v2(bytes);
  return error::not_a_header;
}

}  // namespace vncgate::proxy_protocol
