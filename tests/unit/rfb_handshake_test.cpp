// rfb_handshake_test.cpp — the start of every RFB connection: the big-endian codec, the
// ProtocolVersion exchange and the security-type negotiation in both roles (the offer
// and SecurityResult a client reads, the types list and choice a server deals with).
// Golden bytes, every truncation, and malformed and hostile input.
//
// Where the expected bytes come from: ProtocolVersion hex from RFC 6143 §7.1.1 /
// rfbproto.rst; security messages from RFC 6143 §7.1.2-§7.1.3.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "rfb/security.hpp"
#include "rfb/version.hpp"
#include "rfb_test_support.hpp"

using namespace vncgate::rfb;
using namespace vncgate::rfb::tests;
using pv = protocol_version;

namespace {

// A message as sent for protocol version `v`.
struct versioned_wire {
  pv v;
  const char* wire;
};

// A message that the decoder for version `v` refuses with `expected`.
struct versioned_malformed {
  pv v;
  const char* wire;
  errc expected;
};

// decode(bytes, version) asks for more at every strict prefix of every row.
template <class Decode>
void each_row_needs_more_for_every_prefix(const std::vector<versioned_wire>& rows, Decode decode) {
  const auto r = GENERATE_COPY(from_range(rows));
  INFO(r.wire);
  require_need_more_for_every_prefix(hex(r.wire), [&](byte_view b) { return decode(b, r.v); });
}

// decode(bytes, version) refuses every row with the row's error.
template <class Decode>
void each_row_is_malformed(const std::vector<versioned_malformed>& rows, Decode decode) {
  const auto r = GENERATE_COPY(from_range(rows));
  INFO(r.wire);
  require_error(decode(hex(r.wire), r.v), r.expected);
}

}  // namespace

// ---------------------------------------------------------------- codec

TEST_CASE("rfb big-endian primitives", "[rfb]") {
  bytes out;
  put_u8(out, 0xAB);
  put_u16(out, 0x1234);
  put_u32(out, 0xDEADBEEF);
  put_string(out, "RFB");
  REQUIRE(out == hex("ab 1234 deadbeef 00000003 524642"));
  REQUIRE(get_u16(hex("fffe")) == 0xFFFE);
  REQUIRE(get_u32(hex("80000001")) == 0x80000001u);
  REQUIRE(to_string(errc::too_long) != to_string(errc::need_more));
}

// ---------------------------------------------------------------- version

TEST_CASE("rfb encode_version: RFC 6143 bytes", "[rfb]") {
  REQUIRE(encode_version(pv::v3_3) == hex("52 46 42 20 30 30 33 2e 30 30 33 0a"));
  REQUIRE(encode_version(pv::v3_7) == hex("52 46 42 20 30 30 33 2e 30 30 37 0a"));
  REQUIRE(encode_version(pv::v3_8) == hex("52 46 42 20 30 30 33 2e 30 30 38 0a"));
  REQUIRE(to_string(pv::v3_8) == "3.8");
}

TEST_CASE("rfb decode_version maps odd versions", "[rfb]") {
  struct row {
    const char* wire;
    std::optional<pv> expected;  // nullopt: unsupported_version
  };
  const auto r = GENERATE(values<row>({
      {"RFB 003.003\n", pv::v3_3},
      {"RFB 003.004\n", pv::v3_3},  // UltraVNC
      {"RFB 003.005\n", pv::v3_3},
      {"RFB 003.006\n", pv::v3_3},
      {"RFB 003.000\n", pv::v3_3},
      {"RFB 003.007\n", pv::v3_7},
      {"RFB 003.008\n", pv::v3_8},
      {"RFB 003.889\n", pv::v3_8},  // Apple Remote Desktop
      {"RFB 003.014\n", pv::v3_8},
      {"RFB 003.016\n", pv::v3_8},
      {"RFB 004.000\n", std::nullopt},
      {"RFB 004.001\n", std::nullopt},
      {"RFB 002.008\n", std::nullopt},
      {"RFB 000.000\n", std::nullopt},
      {"RFB 103.008\n", std::nullopt},
  }));
  INFO(r.wire);
  const auto d = decode_version(text(r.wire));
  if (r.expected) {
    require_decoded(d, *r.expected, 12);
  } else {
    require_error(d, errc::unsupported_version);
  }
}

TEST_CASE("rfb decode_version uses 12 bytes and leaves the rest", "[rfb]") {
  require_decoded(decode_version(text("RFB 003.007\nXYZ")), pv::v3_7, 12);
}

TEST_CASE("rfb decode_version: every prefix needs more", "[rfb]") {
  require_need_more_for_every_prefix(text("RFB 003.008\n"), decode_version);
}

TEST_CASE("rfb decode_version rejects what is not RFB", "[rfb]") {
  const std::string wire = GENERATE(as<std::string>{},
      "RFB 003.00\n",          // 11 bytes, the newline where a digit belongs
      "RFB 003.008\r",
      "RFB 003.008 ",
      "RFB 003,008\n",
      "rfb 003.008\n",
      "RFB_003.008\n",
      "RFB 03.008\n ",
      "RFB  03.008\n",
      "RFB 0x3.008\n",
      "RFB 003.00a\n",
      "RFB -03.008\n",
      "GET / HTTP/1.1\r\n",
      "XYZ",                   // partial but already wrong
      "RFB 00a",
      "R\n",
      std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x00", 12));  // TLS ClientHello
  INFO(wire);
  require_error(decode_version(text(wire)), errc::not_rfb);
}

// ---------------------------------------------------------------- security, server role

TEST_CASE("rfb security encoders: golden bytes", "[rfb]") {
  const bytes types{security_type::none, security_type::vnc_auth, security_type::vencrypt};
  REQUIRE(encode_security_types(types) == hex("03 01 02 13"));
  REQUIRE(encode_security_type_v33(security_type::vnc_auth) == hex("00000002"));
  REQUIRE(encode_security_result_ok() == hex("00000000"));

  SECTION("handshake failure has the version's shape") {
    REQUIRE(encode_handshake_failure(pv::v3_3, "no") == hex("00000000 00000002 6e6f"));
    REQUIRE(encode_handshake_failure(pv::v3_7, "no") == hex("00 00000002 6e6f"));
    REQUIRE(encode_handshake_failure(pv::v3_8, "") == hex("00 00000000"));
  }
  SECTION("SecurityResult failed carries a reason on 3.8 only") {
    REQUIRE(encode_security_result_failed(pv::v3_8, "bad") == hex("00000001 00000003 626164"));
    REQUIRE(encode_security_result_failed(pv::v3_7, "bad") == hex("00000001"));
    REQUIRE(encode_security_result_failed(pv::v3_3, "bad") == hex("00000001"));
  }
}

TEST_CASE("rfb decode_security_choice", "[rfb]") {
  require_decoded(decode_security_choice(hex("13 ff")), security_type::vencrypt, 1);
  REQUIRE(decode_security_choice({}).error() == errc::need_more);
  REQUIRE(decode_security_choice(hex("00")).error() == errc::bad_value);
}

// ---------------------------------------------------------------- security, client role

TEST_CASE("rfb decode_security_offer: complete messages", "[rfb]") {
  SECTION("3.3 server picks a type") {
    const auto d = decode_security_offer(hex("00000002 aa"), pv::v3_3);
    REQUIRE(d.has_value());
    REQUIRE(d->value.types == bytes{2});
    REQUIRE_FALSE(d->value.refused());
    REQUIRE(d->size == 4);
    REQUIRE(decode_security_offer(hex("00000001"), pv::v3_3)->value.types == bytes{1});
  }
  SECTION("3.3 refusal") {
    const auto d = decode_security_offer(hex("00000000 00000004 62757379"), pv::v3_3);
    REQUIRE(d.has_value());
    REQUIRE(d->value.refused());
    REQUIRE(d->value.failure_reason == "busy");
    REQUIRE(d->size == 12);
  }
  SECTION("3.7/3.8 list in the server's order") {
    const auto v = GENERATE(pv::v3_7, pv::v3_8);
    const auto d = decode_security_offer(hex("03 13 02 01 ff"), v);
    REQUIRE(d.has_value());
    REQUIRE(d->value.types == bytes{19, 2, 1});
    REQUIRE(d->size == 4);
  }
  SECTION("3.8 refusal, empty reason") {
    const auto d = decode_security_offer(hex("00 00000000"), pv::v3_8);
    REQUIRE(d.has_value());
    REQUIRE(d->value.refused());
    REQUIRE(d->value.failure_reason.empty());
    REQUIRE(d->size == 5);
  }
  SECTION("a reason of exactly max_reason_length is accepted") {
    bytes in = hex("00 00001000");
    in.resize(in.size() + max_reason_length, 'x');
    const auto d = decode_security_offer(in, pv::v3_8);
    REQUIRE(d.has_value());
    REQUIRE(d->value.failure_reason.size() == max_reason_length);
  }
}

TEST_CASE("rfb decode_security_offer: every prefix needs more", "[rfb]") {
  each_row_needs_more_for_every_prefix({{pv::v3_3, "00000002"},
                                        {pv::v3_3, "00000000 00000004 62757379"},
                                        {pv::v3_8, "03 13 02 01"},
                                        {pv::v3_7, "00 00000003 626164"}},
                                       decode_security_offer);
}

TEST_CASE("rfb decode_security_offer: malformed", "[rfb]") {
  each_row_is_malformed({{pv::v3_3, "00000013", errc::bad_value},  // 3.3 allows only 0, 1, 2
                         {pv::v3_3, "00000003", errc::bad_value},
                         {pv::v3_3, "ffffffff", errc::bad_value},
                         {pv::v3_3, "00000000 00001001", errc::too_long},  // checked before the bytes arrive
                         {pv::v3_3, "00000000 ffffffff", errc::too_long},
                         {pv::v3_8, "00 00001001", errc::too_long},
                         {pv::v3_7, "00 ffffffff", errc::too_long},
                         {pv::v3_8, "02 02 00", errc::bad_value}},  // type 0 in the list
                        decode_security_offer);
}

TEST_CASE("rfb decode_security_result", "[rfb]") {
  SECTION("ok on every version") {
    const auto v = GENERATE(pv::v3_3, pv::v3_7, pv::v3_8);
    const auto d = decode_security_result(hex("00000000 00000005"), v);
    REQUIRE(d.has_value());
    REQUIRE(d->value.ok);
    REQUIRE(d->size == 4);
  }
  SECTION("failed before 3.8: the status alone") {
    const auto v = GENERATE(pv::v3_3, pv::v3_7);
    const auto status = GENERATE(as<std::string>{}, "00000001", "00000002");
    const auto d = decode_security_result(concat(hex(status), hex("00000003 626164")), v);
    REQUIRE(d.has_value());
    REQUIRE_FALSE(d->value.ok);
    REQUIRE(d->value.reason.empty());
    REQUIRE(d->size == 4);
  }
  SECTION("failed on 3.8 with its reason, also for 2 (too many attempts)") {
    const auto status = GENERATE(as<std::string>{}, "00000001", "00000002");
    const auto d = decode_security_result(concat(hex(status), hex("00000003 626164")), pv::v3_8);
    REQUIRE(d.has_value());
    REQUIRE_FALSE(d->value.ok);
    REQUIRE(d->value.reason == "bad");
    REQUIRE(d->size == 11);
  }
}

TEST_CASE("rfb decode_security_result: every prefix needs more", "[rfb]") {
  each_row_needs_more_for_every_prefix({{pv::v3_3, "00000000"},
                                        {pv::v3_7, "00000001"},
                                        {pv::v3_8, "00000001 00000003 626164"},
                                        {pv::v3_8, "00000002 00000000"}},
                                       decode_security_result);
}

TEST_CASE("rfb decode_security_result: malformed", "[rfb]") {
  each_row_is_malformed({{pv::v3_8, "00000003", errc::bad_value},
                         {pv::v3_3, "00000003", errc::bad_value},
                         {pv::v3_7, "ffffffff", errc::bad_value},
                         {pv::v3_8, "01000000", errc::bad_value},  // little-endian 1
                         {pv::v3_8, "00000001 00001001", errc::too_long},
                         {pv::v3_8, "00000002 ffffffff", errc::too_long}},
                        decode_security_result);
}
