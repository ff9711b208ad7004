// proxy_protocol_header_test.cpp — the PROXY protocol decoder: the specification's
// examples (HAProxy proxy-protocol.txt, sections 2.1 and 2.2), headers cut at every
// byte, oversized and malformed ones, the families a gateway refuses, LOCAL, and a
// seeded sweep of mutations that must never read past the span.
#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "proxy_protocol/header.hpp"

using namespace vncgate::proxy_protocol;

namespace {

using bytes = std::vector<std::uint8_t>;

bytes text(std::string_view s) { return bytes(s.begin(), s.end()); }

bytes concat(bytes a, const bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const bytes v2_signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

// A v2 header: signature, version/command, family, length, then `block`.
bytes v2(std::uint8_t version_command, std::uint8_t family, const bytes& block) {
  bytes out = v2_signature;
  out.push_back(version_command);
  out.push_back(family);
  out.push_back(static_cast<std::uint8_t>(block.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(block.size() & 0xFF));
  return concat(out, block);
}

// 127.0.0.2:40000 -> 127.0.0.1:5900
const bytes ipv4_block = {127, 0, 0, 2, 127, 0, 0, 1, 0x9C, 0x40, 0x17, 0x0C};

// [2001:db8::7]:443 -> [2001:db8::1]:5900
bytes ipv6_block() {
  bytes b = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
  bytes d = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  b.insert(b.end(), d.begin(), d.end());
  for (std::uint8_t x : {0x01, 0xBB, 0x17, 0x0C}) b.push_back(x);
  return b;
}

parse_result parse(const bytes& b) { return parse_header(b); }

const header& header_of(const parse_result& r) {
  REQUIRE(std::holds_alternative<header>(r));
  return std::get<header>(r);
}

error error_of(const parse_result& r) {
  REQUIRE(std::holds_alternative<error>(r));
  return std::get<error>(r);
}

bool is_incomplete(const parse_result& r) { return std::holds_alternative<incomplete>(r); }

}  // namespace

TEST_CASE("v1 TCP4 names the client and the address it reached", "[proxy]") {
  auto h = header_of(parse(text("PROXY TCP4 192.0.2.1 198.51.100.7 40000 5900\r\n")));
  CHECK(h.version == 1);
  CHECK(h.size == 46);
  REQUIRE(h.source);
  CHECK(h.source->v4);
  CHECK(h.source->address_text() == "192.0.2.1");
  CHECK(h.source->port == 40000);
  REQUIRE(h.destination);
  CHECK(h.destination->address_text() == "198.51.100.7");
  CHECK(h.destination->port == 5900);
}

TEST_CASE("v1: the specification's longest lines are accepted", "[proxy]") {
  auto v4 = text("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n");
  CHECK(header_of(parse(v4)).size == 56);
  auto v6 = text(
      "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n");
  auto h6 = header_of(parse(v6));
  CHECK(h6.size == 104);
  CHECK_FALSE(h6.source->v4);
  CHECK(h6.source->address_text() == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  auto unknown = text(
      "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n");
  CHECK(unknown.size() == max_v1_size);
  auto hu = header_of(parse(unknown));
  CHECK(hu.size == 107);
  CHECK_FALSE(hu.names_client());
}

TEST_CASE("v1 UNKNOWN: the connection's own endpoints stand", "[proxy]") {
  auto h = header_of(parse(text("PROXY UNKNOWN\r\n")));
  CHECK(h.size == 15);
  CHECK_FALSE(h.source);
  CHECK_FALSE(h.destination);
}

TEST_CASE("v1: the header's size leaves the client's first bytes alone", "[proxy]") {
  auto b = text("PROXY TCP6 2001:db8::7 2001:db8::1 443 5900\r\n\x16\x03\x01");
  auto h = header_of(parse(b));
  CHECK(h.size == b.size() - 3);
  CHECK(h.source->address_text() == "2001:db8::7");
}

TEST_CASE("v1 cut anywhere is incomplete, never an error or a header", "[proxy]") {
  auto whole = text("PROXY TCP4 192.0.2.1 198.51.100.7 40000 5900\r\n");
  for (std::size_t n = 1; n < whole.size(); ++n) {
    CAPTURE(n);
    CHECK(is_incomplete(parse(bytes(whole.begin(), whole.begin() + static_cast<long>(n)))));
  }
}

TEST_CASE("v1: malformed lines are refused", "[proxy]") {
  auto line = GENERATE(as<std::string>{},
                       "PROXY TCP4 192.0.2.1 198.51.100.7 40000 5900\n",       // LF without CR
                       "PROXY TCP4 192.0.2.1 198.51.100.7 40000\r\n",          // a field missing
                       "PROXY TCP4 192.0.2.1 198.51.100.7 40000 5900 1\r\n",   // a field too many
                       "PROXY TCP4  192.0.2.1 198.51.100.7 40000 5900\r\n",    // two spaces
                       "PROXY TCP4 192.0.2.1 198.51.100.7 40000 5900 \r\n",    // trailing space
                       "PROXY TCP5 192.0.2.1 198.51.100.7 40000 5900\r\n",     // no such protocol
                       "PROXY tcp4 192.0.2.1 198.51.100.7 40000 5900\r\n",     // case matters
                       "PROXY TCP4 2001:db8::1 198.51.100.7 40000 5900\r\n",   // v6 address in TCP4
                       "PROXY TCP6 192.0.2.1 2001:db8::1 40000 5900\r\n",      // v4 address in TCP6
                       "PROXY TCP4 192.0.2.256 198.51.100.7 40000 5900\r\n",   // octet out of range
                       "PROXY TCP4 192.0.2 198.51.100.7 40000 5900\r\n",       // three octets
                       "PROXY TCP4 192.0.2.01 198.51.100.7 40000 5900\r\n",    // leading zero (octal?)
                       "PROXY TCP4 host.example 198.51.100.7 40000 5900\r\n",  // a name
                       "PROXY TCP4 192.0.2.1 198.51.100.7 65536 5900\r\n",     // port out of range
                       "PROXY TCP4 192.0.2.1 198.51.100.7 040000 5900\r\n",    // leading zero
                       "PROXY TCP4 192.0.2.1 198.51.100.7 -1 5900\r\n",        // sign
                       "PROXY TCP4 192.0.2.1 198.51.100.7 4a 5900\r\n",        // not a number
                       "PROXY \r\n",                                           // nothing
                       "PROXY TCP4\r\n");
  CAPTURE(line);
  CHECK(error_of(parse(text(line))) == error::malformed);
}

TEST_CASE("v1: a line without an end within 107 bytes is too long", "[proxy]") {
  std::string line = "PROXY TCP4 " + std::string(200, '1');
  CHECK(error_of(parse(text(line.substr(0, 107)))) == error::too_long);
  CHECK(is_incomplete(parse(text(line.substr(0, 106)))));
  // The end of the line one byte past the limit does not help.
  CHECK(error_of(parse(text(line.substr(0, 107) + "\r\n"))) == error::too_long);
}

TEST_CASE("bytes that are no header are told apart at the first wrong byte", "[proxy]") {
  auto b = GENERATE(as<std::string>{}, "RFB 003.008\n", "GET / HTTP/1.1\r\n", "\x16\x03\x01", "P", "PROXX",
                    "proxy TCP4", "\r\n\r\n\x01");
  CAPTURE(b);
  auto r = parse(text(b));
  if (b == "P") {
    CHECK(is_incomplete(r));  // still a possible "PROXY "
  } else {
    CHECK(error_of(r) == error::not_a_header);
  }
  CHECK(is_incomplete(parse({})));
}

TEST_CASE("v2 PROXY over TCP/IPv4 and TCP/IPv6", "[proxy]") {
  auto h4 = header_of(parse(v2(0x21, 0x11, ipv4_block)));
  CHECK(h4.version == 2);
  CHECK(h4.size == 28);
  CHECK(h4.source->address_text() == "127.0.0.2");
  CHECK(h4.source->port == 40000);
  CHECK(h4.destination->address_text() == "127.0.0.1");
  CHECK(h4.destination->port == 5900);

  auto h6 = header_of(parse(v2(0x21, 0x21, ipv6_block())));
  CHECK(h6.size == 16 + 36);
  CHECK_FALSE(h6.source->v4);
  CHECK(h6.source->address_text() == "2001:db8::7");
  CHECK(h6.source->port == 443);
  CHECK(h6.destination->address_text() == "2001:db8::1");
}

TEST_CASE("v2: TLVs are skipped, but must be framed inside the block", "[proxy]") {
  // PP2_TYPE_ALPN "vnc", PP2_TYPE_AUTHORITY "bastion", an AWS-style 0xEA TLV.
  bytes tlvs = {0x01, 0x00, 0x03, 'v', 'n', 'c', 0x02, 0x00, 0x07, 'b', 'a', 's', 't', 'i', 'o', 'n',
                0xEA, 0x00, 0x02, 0x01, 0x02};
  auto block = concat(ipv4_block, tlvs);
  auto h = header_of(parse(v2(0x21, 0x11, block)));
  CHECK(h.size == 16 + block.size());
  CHECK(h.source->address_text() == "127.0.0.2");

  auto overrun = concat(ipv4_block, bytes{0x01, 0x00, 0x09, 'v', 'n', 'c'});
  CHECK(error_of(parse(v2(0x21, 0x11, overrun))) == error::malformed);
  auto stub = concat(ipv4_block, bytes{0x04, 0x00});
  CHECK(error_of(parse(v2(0x21, 0x11, stub))) == error::malformed);
}

TEST_CASE("v2 LOCAL (health checks) and UNSPEC: the connection's own endpoints stand", "[proxy]") {
  auto local = header_of(parse(v2(0x20, 0x00, {})));
  CHECK(local.size == 16);
  CHECK_FALSE(local.names_client());
  // LOCAL ignores whatever family and block come with it.
  auto local_with_block = header_of(parse(v2(0x20, 0x11, ipv4_block)));
  CHECK(local_with_block.size == 28);
  CHECK_FALSE(local_with_block.names_client());
  auto unspec = header_of(parse(v2(0x21, 0x00, {0xAA, 0xBB})));
  CHECK(unspec.size == 18);
  CHECK_FALSE(unspec.names_client());
}

TEST_CASE("v2: families a stream gateway cannot use are refused", "[proxy]") {
  auto family = GENERATE(std::uint8_t{0x12}, std::uint8_t{0x22}, std::uint8_t{0x31}, std::uint8_t{0x32},
                         std::uint8_t{0x10}, std::uint8_t{0x13}, std::uint8_t{0x41}, std::uint8_t{0xFF});
  CAPTURE(family);
  CHECK(error_of(parse(v2(0x21, family, bytes(216, 0)))) == error::unsupported_family);
}

TEST_CASE("v2: version, command, length and address block are checked", "[proxy]") {
  CHECK(error_of(parse(v2(0x11, 0x11, ipv4_block))) == error::unsupported_version);
  CHECK(error_of(parse(v2(0x31, 0x11, ipv4_block))) == error::unsupported_version);
  CHECK(error_of(parse(v2(0x22, 0x11, ipv4_block))) == error::unsupported_command);
  CHECK(error_of(parse(v2(0x2F, 0x11, ipv4_block))) == error::unsupported_command);
  // An IPv4 block shorter than two addresses and two ports; an IPv6 one likewise.
  CHECK(error_of(parse(v2(0x21, 0x11, bytes(ipv4_block.begin(), ipv4_block.end() - 1)))) == error::malformed);
  CHECK(error_of(parse(v2(0x21, 0x21, bytes(35, 0)))) == error::malformed);
}

TEST_CASE("v2: an oversized length is refused as soon as it is read", "[proxy]") {
  bytes fixed = v2_signature;
  for (std::uint8_t x : {0x21, 0x11, 0x08, 0x01}) fixed.push_back(x);  // 2049 bytes follow
  CHECK(error_of(parse(fixed)) == error::too_long);
  auto at_limit = v2(0x21, 0x11, concat(ipv4_block, concat(bytes{0xEE, 0x07, 0xF1}, bytes(2033, 0))));
  REQUIRE(at_limit.size() == max_header_size);
  CHECK(header_of(parse(at_limit)).size == max_header_size);
}

TEST_CASE("v2 cut anywhere is incomplete", "[proxy]") {
  auto whole = v2(0x21, 0x21, concat(ipv6_block(), bytes{0x01, 0x00, 0x03, 'v', 'n', 'c'}));
  for (std::size_t n = 1; n < whole.size(); ++n) {
    CAPTURE(n);
    CHECK(is_incomplete(parse(bytes(whole.begin(), whole.begin() + static_cast<long>(n)))));
  }
  // And bytes after it are the client's.
  auto h = header_of(parse(concat(whole, text("RFB 003.008\n"))));
  CHECK(h.size == whole.size());
}

TEST_CASE("mutated headers never claim more bytes than they were given", "[proxy]") {
  const std::vector<bytes> samples = {
      text("PROXY TCP4 192.0.2.1 198.51.100.7 40000 5900\r\n"),
      text("PROXY TCP6 2001:db8::7 2001:db8::1 443 5900\r\n"),
      text("PROXY UNKNOWN\r\n"),
      v2(0x21, 0x11, concat(ipv4_block, bytes{0x01, 0x00, 0x01, 'x'})),
      v2(0x21, 0x21, ipv6_block()),
      v2(0x20, 0x00, {}),
  };
  std::mt19937 rng(20261204);
  for (int round = 0; round < 20000; ++round) {
    bytes b = samples[static_cast<std::size_t>(round) % samples.size()];
    switch (rng() % 3) {
      case 0: b[rng() % b.size()] = static_cast<std::uint8_t>(rng()); break;
      case 1: b.resize(rng() % b.size()); break;
      default: b.insert(b.begin() + static_cast<long>(rng() % b.size()), static_cast<std::uint8_t>(rng())); break;
    }
    // An exact-size heap copy, so that ASan sees a read past the end.
    auto exact = std::make_unique<std::uint8_t[]>(b.size());
    std::copy(b.begin(), b.end(), exact.get());
    auto r = parse_header(std::span<const std::uint8_t>(exact.get(), b.size()));
    if (auto* h = std::get_if<header>(&r)) {
      REQUIRE(h->size <= b.size());
      REQUIRE(h->size <= max_header_size);
      // The same bytes decode to the same header on their own.
      auto again = parse_header(std::span<const std::uint8_t>(exact.get(), h->size));
      REQUIRE(std::holds_alternative<header>(again));
      CHECK(std::get<header>(again).source == h->source);
    }
  }
}
