// rfb_vencrypt_test.cpp — the VeNCrypt security type: version and subtype negotiation,
// and the Plain credentials that follow it inside TLS. Golden bytes from the VeNCrypt
// description in rfbproto.rst, every truncation, the length limits, malformed input, and
// that moved-from credentials hold no password.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <utility>

#include "rfb/vencrypt.hpp"
#include "rfb_test_support.hpp"

using namespace vncgate::rfb;
using namespace vncgate::rfb::tests;

TEST_CASE("rfb VeNCrypt negotiation: golden bytes", "[rfb]") {
  REQUIRE(encode_vencrypt_version() == hex("00 02"));
  REQUIRE(encode_vencrypt_version_ack(true) == hex("00"));
  REQUIRE(encode_vencrypt_version_ack(false) == hex("ff"));
  const std::uint32_t subtypes[] = {vencrypt_subtype::x509_plain, vencrypt_subtype::tls_plain};
  REQUIRE(encode_vencrypt_subtypes(subtypes) == hex("02 00000106 00000103"));
  REQUIRE(encode_vencrypt_subtype_ack(true) == hex("01"));
  REQUIRE(encode_vencrypt_subtype_ack(false) == hex("00"));
}

TEST_CASE("rfb decode_vencrypt_version", "[rfb]") {
  const auto d = decode_vencrypt_version(hex("00 02 ff"));
  REQUIRE(d.has_value());
  REQUIRE(d->value.major == 0);
  REQUIRE(d->value.minor == 2);
  REQUIRE(d->size == 2);

  // Other versions are values, so the caller can answer them with the 0xFF ack.
  const auto o = decode_vencrypt_version(hex("00 01"));
  REQUIRE(o.has_value());
  REQUIRE(o->value.major == 0);
  REQUIRE(o->value.minor == 1);
  REQUIRE(decode_vencrypt_version(hex("ff 07"))->value.major == 0xff);
}

TEST_CASE("rfb decode_vencrypt_version: every prefix needs more", "[rfb]") {
  require_need_more_for_every_prefix(hex("00 02"), decode_vencrypt_version);
}

TEST_CASE("rfb decode_vencrypt_subtype_choice", "[rfb]") {
  require_decoded(decode_vencrypt_subtype_choice(hex("00000103 00")), vencrypt_subtype::tls_plain, 4);
}

TEST_CASE("rfb decode_vencrypt_subtype_choice: every prefix needs more", "[rfb]") {
  require_need_more_for_every_prefix(hex("00000106"), decode_vencrypt_subtype_choice);
}

TEST_CASE("rfb Plain credentials: golden bytes and decode", "[rfb]") {
  const bytes wire = hex("00000005 00000006 616c696365 733363726574");
  REQUIRE(encode_plain_credentials("alice", "s3cret") == wire);
  const auto d = decode_plain_credentials(concat(wire, hex("00")));
  REQUIRE(d.has_value());
  REQUIRE(d->value.username == "alice");
  REQUIRE(d->value.password == "s3cret");
  REQUIRE(d->size == wire.size());

  SECTION("empty user and password") {
    const auto e = decode_plain_credentials(hex("00000000 00000000"));
    REQUIRE(e.has_value());
    REQUIRE(e->value.username.empty());
    REQUIRE(e->value.password.empty());
    REQUIRE(e->size == 8);
  }
  SECTION("the limits themselves are accepted, and a NUL in the password is kept") {
    const std::string user(max_plain_username, 'u');
    std::string pass(max_plain_password, 'p');
    pass[3] = '\0';
    const auto l = decode_plain_credentials(encode_plain_credentials(user, pass));
    REQUIRE(l.has_value());
    REQUIRE(l->value.username == user);
    REQUIRE(l->value.password == pass);
  }
}

TEST_CASE("rfb Plain credentials: every prefix needs more", "[rfb]") {
  require_need_more_for_every_prefix(hex("00000005 00000006 616c696365 733363726574"), decode_plain_credentials);
}

TEST_CASE("rfb Plain credentials: malformed", "[rfb]") {
  struct row {
    const char* wire;
    errc expected;
  };
  const auto r = GENERATE(values<row>({
      {"00000101", errc::too_long},  // user 257, refused before the password length arrives
      {"ffffffff", errc::too_long},
      {"00000001 00000401", errc::too_long},  // password 1025
      {"00000001 ffffffff", errc::too_long},
      {"00000003 00000000 610062", errc::bad_value},  // NUL inside the user name
      {"00000001 00000001 00 78", errc::bad_value},
  }));
  INFO(r.wire);
  require_error(decode_plain_credentials(hex(r.wire)), r.expected);
}

TEST_CASE("rfb plain_credentials moves keep the values", "[rfb]") {
  auto d = decode_plain_credentials(encode_plain_credentials("bob", "a long password, longer than SSO"));
  REQUIRE(d.has_value());
  plain_credentials a = std::move(d->value);
  plain_credentials b;
  b.password = "old secret";
  b = std::move(a);
  REQUIRE(b.username == "bob");
  REQUIRE(b.password == "a long password, longer than SSO");
  REQUIRE(a.password.empty());  // NOLINT(bugprone-use-after-move): wiped on purpose
}
