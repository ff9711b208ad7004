// rfb_test.cpp — unit tests for rfb/: golden bytes from RFC 6143 and the VeNCrypt
// description, every truncation of every message, malformed input, VncAuth vectors and
// a seeded robustness sweep over all decoders.
//
// Where the expected bytes come from:
//   - ProtocolVersion hex: RFC 6143 §7.1.1 / rfbproto.rst.
//   - VncAuth: computed independently with the openssl CLI
//       printf <challenge> | openssl enc -des-ecb -provider legacy -provider default
//         -K <password, NUL padded to 8, each byte's bits mirrored> -nopad  (one line)
//     plus three challenge/response pairs captured with Wireshark and published in
//     mitchellh/go-vnc client_auth_test.go (re-checked with the openssl CLI).
//   - vncpasswd files: output of TigerVNC's `printf 'secret\n' | vncpasswd -f | xxd`.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <optional>
#include <random>
#include <string>

#include "rfb/init.hpp"
#include "rfb/security.hpp"
#include "rfb/vencrypt.hpp"
#include "rfb/version.hpp"
#include "rfb/vnc_auth.hpp"

using namespace vncgate::rfb;

namespace {

bytes hex(std::string_view h) {
  bytes out;
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
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(nibble(digits[i]) << 4 | nibble(digits[i + 1])));
  }
  return out;
}

bytes text(std::string_view s) { return bytes(s.begin(), s.end()); }

bytes concat(bytes a, const bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

vnc_auth_block block(std::string_view h) {
  const bytes b = hex(h);
  REQUIRE(b.size() == vnc_auth_challenge_size);
  vnc_auth_block out{};
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

// Every strict prefix of a complete message must ask for more bytes.
template <class Decode>
void require_need_more_for_every_prefix(const bytes& full, Decode decode) {
  const auto n = GENERATE_COPY(range(std::size_t{0}, full.size()));
  INFO("prefix length " << n << " of " << full.size());
  const auto r = decode(byte_view(full.data(), n));
  REQUIRE_FALSE(r.has_value());
  REQUIRE(r.error() == errc::need_more);
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
  REQUIRE(encode_version(protocol_version::v3_3) == hex("52 46 42 20 30 30 33 2e 30 30 33 0a"));
  REQUIRE(encode_version(protocol_version::v3_7) == hex("52 46 42 20 30 30 33 2e 30 30 37 0a"));
  REQUIRE(encode_version(protocol_version::v3_8) == hex("52 46 42 20 30 30 33 2e 30 30 38 0a"));
  REQUIRE(to_string(protocol_version::v3_8) == "3.8");
}

TEST_CASE("rfb decode_version maps odd versions", "[rfb]") {
  struct row {
    const char* wire;
    std::optional<protocol_version> expected;  // nullopt: unsupported_version
  };
  const auto r = GENERATE(values<row>({
      {"RFB 003.003\n", protocol_version::v3_3},
      {"RFB 003.004\n", protocol_version::v3_3},  // UltraVNC
      {"RFB 003.005\n", protocol_version::v3_3},
      {"RFB 003.006\n", protocol_version::v3_3},
      {"RFB 003.000\n", protocol_version::v3_3},
      {"RFB 003.007\n", protocol_version::v3_7},
      {"RFB 003.008\n", protocol_version::v3_8},
      {"RFB 003.889\n", protocol_version::v3_8},  // Apple Remote Desktop
      {"RFB 003.014\n", protocol_version::v3_8},
      {"RFB 003.016\n", protocol_version::v3_8},
      {"RFB 004.000\n", std::nullopt},
      {"RFB 004.001\n", std::nullopt},
      {"RFB 002.008\n", std::nullopt},
      {"RFB 000.000\n", std::nullopt},
      {"RFB 103.008\n", std::nullopt},
  }));
  INFO(r.wire);
  const bytes in = text(r.wire);
  const auto d = decode_version(in);
  if (r.expected) {
    REQUIRE(d.has_value());
    REQUIRE(d->value == *r.expected);
    REQUIRE(d->size == 12);
  } else {
    REQUIRE_FALSE(d.has_value());
    REQUIRE(d.error() == errc::unsupported_version);
  }
}

TEST_CASE("rfb decode_version uses 12 bytes and leaves the rest", "[rfb]") {
  const bytes in = text("RFB 003.007\nXYZ");
  const auto d = decode_version(in);
  REQUIRE(d.has_value());
  REQUIRE(d->value == protocol_version::v3_7);
  REQUIRE(d->size == 12);
}

TEST_CASE("rfb decode_version: every prefix needs more", "[rfb]") {
  require_need_more_for_every_prefix(text("RFB 003.008\n"), [](byte_view v) { return decode_version(v); });
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
  const auto d = decode_version(text(wire));
  REQUIRE_FALSE(d.has_value());
  REQUIRE(d.error() == errc::not_rfb);
}

// ---------------------------------------------------------------- security, server role

TEST_CASE("rfb security encoders: golden bytes", "[rfb]") {
  const bytes types{security_type::none, security_type::vnc_auth, security_type::vencrypt};
  REQUIRE(encode_security_types(types) == hex("03 01 02 13"));
  REQUIRE(encode_security_type_v33(security_type::vnc_auth) == hex("00000002"));
  REQUIRE(encode_security_result_ok() == hex("00000000"));

  SECTION("handshake failure has the version's shape") {
    REQUIRE(encode_handshake_failure(protocol_version::v3_3, "no") == hex("00000000 00000002 6e6f"));
    REQUIRE(encode_handshake_failure(protocol_version::v3_7, "no") == hex("00 00000002 6e6f"));
    REQUIRE(encode_handshake_failure(protocol_version::v3_8, "") == hex("00 00000000"));
  }
  SECTION("SecurityResult failed carries a reason on 3.8 only") {
    REQUIRE(encode_security_result_failed(protocol_version::v3_8, "bad") == hex("00000001 00000003 626164"));
    REQUIRE(encode_security_result_failed(protocol_version::v3_7, "bad") == hex("00000001"));
    REQUIRE(encode_security_result_failed(protocol_version::v3_3, "bad") == hex("00000001"));
  }
}

TEST_CASE("rfb decode_security_choice", "[rfb]") {
  const auto d = decode_security_choice(hex("13 ff"));
  REQUIRE(d.has_value());
  REQUIRE(d->value == security_type::vencrypt);
  REQUIRE(d->size == 1);
  REQUIRE(decode_security_choice({}).error() == errc::need_more);
  REQUIRE(decode_security_choice(hex("00")).error() == errc::bad_value);
}

// ---------------------------------------------------------------- security, client role

TEST_CASE("rfb decode_security_offer: complete messages", "[rfb]") {
  SECTION("3.3 server picks a type") {
    const auto d = decode_security_offer(hex("00000002 aa"), protocol_version::v3_3);
    REQUIRE(d.has_value());
    REQUIRE(d->value.types == bytes{2});
    REQUIRE_FALSE(d->value.refused());
    REQUIRE(d->size == 4);
    REQUIRE(decode_security_offer(hex("00000001"), protocol_version::v3_3)->value.types == bytes{1});
  }
  SECTION("3.3 refusal") {
    const auto d = decode_security_offer(hex("00000000 00000004 62757379"), protocol_version::v3_3);
    REQUIRE(d.has_value());
    REQUIRE(d->value.refused());
    REQUIRE(d->value.failure_reason == "busy");
    REQUIRE(d->size == 12);
  }
  SECTION("3.7/3.8 list in the server's order") {
    const auto v = GENERATE(protocol_version::v3_7, protocol_version::v3_8);
    const auto d = decode_security_offer(hex("03 13 02 01 ff"), v);
    REQUIRE(d.has_value());
    REQUIRE(d->value.types == bytes{19, 2, 1});
    REQUIRE(d->size == 4);
  }
  SECTION("3.8 refusal, empty reason") {
    const auto d = decode_security_offer(hex("00 00000000"), protocol_version::v3_8);
    REQUIRE(d.has_value());
    REQUIRE(d->value.refused());
    REQUIRE(d->value.failure_reason.empty());
    REQUIRE(d->size == 5);
  }
  SECTION("a reason of exactly max_reason_length is accepted") {
    bytes in = hex("00 00001000");
    in.resize(in.size() + max_reason_length, 'x');
    const auto d = decode_security_offer(in, protocol_version::v3_8);
    REQUIRE(d.has_value());
    REQUIRE(d->value.failure_reason.size() == max_reason_length);
  }
}

TEST_CASE("rfb decode_security_offer: every prefix needs more", "[rfb]") {
  struct row {
    protocol_version v;
    const char* wire;
  };
  const auto r = GENERATE(values<row>({
      {protocol_version::v3_3, "00000002"},
      {protocol_version::v3_3, "00000000 00000004 62757379"},
      {protocol_version::v3_8, "03 13 02 01"},
      {protocol_version::v3_7, "00 00000003 626164"},
  }));
  require_need_more_for_every_prefix(hex(r.wire), [v = r.v](byte_view b) { return decode_security_offer(b, v); });
}

TEST_CASE("rfb decode_security_offer: malformed", "[rfb]") {
  struct row {
    protocol_version v;
    const char* wire;
    errc expected;
  };
  const auto r = GENERATE(values<row>({
      {protocol_version::v3_3, "00000013", errc::bad_value},  // 3.3 allows only 0, 1, 2
      {protocol_version::v3_3, "00000003", errc::bad_value},
      {protocol_version::v3_3, "ffffffff", errc::bad_value},
      {protocol_version::v3_3, "00000000 00001001", errc::too_long},  // checked before the bytes arrive
      {protocol_version::v3_3, "00000000 ffffffff", errc::too_long},
      {protocol_version::v3_8, "00 00001001", errc::too_long},
      {protocol_version::v3_7, "00 ffffffff", errc::too_long},
      {protocol_version::v3_8, "02 02 00", errc::bad_value},  // type 0 in the list
  }));
  INFO(r.wire);
  const auto d = decode_security_offer(hex(r.wire), r.v);
  REQUIRE_FALSE(d.has_value());
  REQUIRE(d.error() == r.expected);
}

TEST_CASE("rfb decode_security_result", "[rfb]") {
  SECTION("ok on every version") {
    const auto v = GENERATE(protocol_version::v3_3, protocol_version::v3_7, protocol_version::v3_8);
    const auto d = decode_security_result(hex("00000000 00000005"), v);
    REQUIRE(d.has_value());
    REQUIRE(d->value.ok);
    REQUIRE(d->size == 4);
  }
  SECTION("failed before 3.8: the status alone") {
    const auto v = GENERATE(protocol_version::v3_3, protocol_version::v3_7);
    const auto status = GENERATE(as<std::string>{}, "00000001", "00000002");
    const auto d = decode_security_result(concat(hex(status), hex("00000003 626164")), v);
    REQUIRE(d.has_value());
    REQUIRE_FALSE(d->value.ok);
    REQUIRE(d->value.reason.empty());
    REQUIRE(d->size == 4);
  }
  SECTION("failed on 3.8 with its reason, also for 2 (too many attempts)") {
    const auto status = GENERATE(as<std::string>{}, "00000001", "00000002");
    const auto d = decode_security_result(concat(hex(status), hex("00000003 626164")), protocol_version::v3_8);
    REQUIRE(d.has_value());
    REQUIRE_FALSE(d->value.ok);
    REQUIRE(d->value.reason == "bad");
    REQUIRE(d->size == 11);
  }
}

TEST_CASE("rfb decode_security_result: every prefix needs more", "[rfb]") {
  struct row {
    protocol_version v;
    const char* wire;
  };
  const auto r = GENERATE(values<row>({
      {protocol_version::v3_3, "00000000"},
      {protocol_version::v3_7, "00000001"},
      {protocol_version::v3_8, "00000001 00000003 626164"},
      {protocol_version::v3_8, "00000002 00000000"},
  }));
  require_need_more_for_every_prefix(hex(r.wire), [v = r.v](byte_view b) { return decode_security_result(b, v); });
}

TEST_CASE("rfb decode_security_result: malformed", "[rfb]") {
  struct row {
    protocol_version v;
    const char* wire;
    errc expected;
  };
  const auto r = GENERATE(values<row>({
      {protocol_version::v3_8, "00000003", errc::bad_value},
      {protocol_version::v3_3, "00000003", errc::bad_value},
      {protocol_version::v3_7, "ffffffff", errc::bad_value},
      {protocol_version::v3_8, "01000000", errc::bad_value},  // little-endian 1
      {protocol_version::v3_8, "00000001 00001001", errc::too_long},
      {protocol_version::v3_8, "00000002 ffffffff", errc::too_long},
  }));
  INFO(r.wire);
  const auto d = decode_security_result(hex(r.wire), r.v);
  REQUIRE_FALSE(d.has_value());
  REQUIRE(d.error() == r.expected);
}

// ---------------------------------------------------------------- VeNCrypt

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
  require_need_more_for_every_prefix(hex("00 02"), [](byte_view b) { return decode_vencrypt_version(b); });
}

TEST_CASE("rfb decode_vencrypt_subtype_choice", "[rfb]") {
  const auto d = decode_vencrypt_subtype_choice(hex("00000103 00"));
  REQUIRE(d.has_value());
  REQUIRE(d->value == vencrypt_subtype::tls_plain);
  REQUIRE(d->size == 4);
}

TEST_CASE("rfb decode_vencrypt_subtype_choice: every prefix needs more", "[rfb]") {
  require_need_more_for_every_prefix(hex("00000106"), [](byte_view b) { return decode_vencrypt_subtype_choice(b); });
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
  require_need_more_for_every_prefix(hex("00000005 00000006 616c696365 733363726574"),
                                     [](byte_view b) { return decode_plain_credentials(b); });
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
  const auto d = decode_plain_credentials(hex(r.wire));
  REQUIRE_FALSE(d.has_value());
  REQUIRE(d.error() == r.expected);
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

// ---------------------------------------------------------------- VNC Authentication

TEST_CASE("rfb VncAuth: DES is available from the legacy provider", "[rfb]") {
  REQUIRE(vnc_auth_available());
}

TEST_CASE("rfb decode_vnc_auth_challenge", "[rfb]") {
  const bytes wire = hex("000102030405060708090a0b0c0d0e0f 10");
  const auto d = decode_vnc_auth_challenge(wire);
  REQUIRE(d.has_value());
  REQUIRE(d->value == block("000102030405060708090a0b0c0d0e0f"));
  REQUIRE(d->size == 16);
  require_need_more_for_every_prefix(bytes(wire.begin(), wire.begin() + 16),
                                     [](byte_view b) { return decode_vnc_auth_challenge(b); });
}

TEST_CASE("rfb VncAuth: known answers", "[rfb]") {
  struct row {
    const char* password;
    const char* challenge;
    const char* response;
  };
  const auto r = GENERATE(values<row>({
      // openssl CLI, key = mirrored password bytes
      {"password", "000102030405060708090a0b0c0d0e0f", "b866924125c8eebb9debc1db61c538e2"},
      {"password", "4a1f8e22b057c39910ee6d04f138a27c", "5d1061c10b67b6e14912b9ccb5856e1a"},
      {"secret", "000102030405060708090a0b0c0d0e0f", "ee22539f33a5983ec12f9c2edbc995dd"},
      {"secret", "4a1f8e22b057c39910ee6d04f138a27c", "12d1bc492288cfb522f40f0af07ff0d7"},
      {"", "000102030405060708090a0b0c0d0e0f", "491e890de9ace932838a49792f2213f3"},
      {"", "4a1f8e22b057c39910ee6d04f138a27c", "916ab7fea788adfa0fa6413f742421d3"},
      {"Passw0rd!x", "000102030405060708090a0b0c0d0e0f", "1b295f9e55e78a9fda2b8b47bef764df"},  // = "Passw0rd"
      {"Passw0rd!x", "4a1f8e22b057c39910ee6d04f138a27c", "923b05e2762f2355bc3bb9329450fff7"},
      // Wireshark captures published in mitchellh/go-vnc
      {".", "7fe2e13da4ae109c54c55f5274aadb31", "1d8692711f00243502d391efe9bcc5d5"},
      {"12345678", "138ea42e0e66f3ad2df308c304cdc42a", "5be156fa4949ef56d3f844977327959f"},
      {"abc123", "c63045d2579ee7f2f90c623e524086c6", "a36359e428c87fb3452cd7e0cad6703e"},
  }));
  INFO(r.password << " / " << r.challenge);
  const auto response = vnc_auth_response(block(r.challenge), r.password);
  REQUIRE(response.has_value());
  REQUIRE(*response == block(r.response));
}

TEST_CASE("rfb VncAuth: only the first 8 characters count", "[rfb]") {
  const auto challenge = block("4a1f8e22b057c39910ee6d04f138a27c");
  const auto eight = vnc_auth_response(challenge, "abcdefgh");
  REQUIRE(eight.has_value());
  REQUIRE(vnc_auth_response(challenge, "abcdefghi") == eight);
  REQUIRE(vnc_auth_response(challenge, "abcdefgh-and-a-lot-more") == eight);
  REQUIRE(vnc_auth_response(challenge, "abcdefgX") != eight);
  // Padding is NUL: "abc" and "abc\0" are the same key.
  REQUIRE(vnc_auth_response(challenge, "abc") == vnc_auth_response(challenge, std::string_view("abc\0", 4)));
}

TEST_CASE("rfb vncpasswd file: golden bytes from TigerVNC's vncpasswd -f", "[rfb]") {
  // printf 'secret\n' | vncpasswd -f
  const bytes secret_file = hex("2e2dbf576eb06c9e");
  const auto enc = encode_vncpasswd_file("secret");
  REQUIRE(enc.has_value());
  REQUIRE(*enc == secret_file);
  REQUIRE(decode_vncpasswd_file(secret_file) == std::optional<std::string>("secret"));

  // printf 'secret\nviewer\n' | vncpasswd -f: the second block is the view-only password.
  const bytes with_view_only = hex("2e2dbf576eb06c9e b9060312181ec148");
  REQUIRE(decode_vncpasswd_file(with_view_only) == std::optional<std::string>("secret"));
  REQUIRE(encode_vncpasswd_file("viewer") == std::optional<bytes>(hex("b9060312181ec148")));

  // printf 'abcdefghijk\n' | vncpasswd -f == printf 'abcdefgh\n' | vncpasswd -f
  REQUIRE(encode_vncpasswd_file("abcdefghijk") == std::optional<bytes>(hex("db8ab02565e3b4c2")));
  REQUIRE(decode_vncpasswd_file(hex("db8ab02565e3b4c2")) == std::optional<std::string>("abcdefgh"));
}

TEST_CASE("rfb vncpasswd file: round trip and wrong sizes", "[rfb]") {
  const std::string password = GENERATE(as<std::string>{}, "", "a", "secret", "12345678", "~!@#$%^&");
  const auto file = encode_vncpasswd_file(password);
  REQUIRE(file.has_value());
  REQUIRE(file->size() == 8);
  REQUIRE(decode_vncpasswd_file(*file) == std::optional<std::string>(password));

  const auto size = GENERATE(std::size_t{0}, 1, 7, 9, 15, 17, 24);
  REQUIRE_FALSE(decode_vncpasswd_file(bytes(size, 0x42)).has_value());
}

// ---------------------------------------------------------------- initialisation

TEST_CASE("rfb ClientInit", "[rfb]") {
  REQUIRE(encode_client_init(true) == hex("01"));
  REQUIRE(encode_client_init(false) == hex("00"));
  REQUIRE(decode_client_init(hex("00"))->value == false);
  REQUIRE(decode_client_init(hex("01"))->value == true);
  REQUIRE(decode_client_init(hex("80 00"))->value == true);
  REQUIRE(decode_client_init(hex("80 00"))->size == 1);
  REQUIRE(decode_client_init({}).error() == errc::need_more);
}

namespace {
// 1024x768, 32 bpp, depth 24, little-endian, true colour, 255/255/255, shifts 16/8/0.
const char* const server_init_wire =
    "0400 0300 20 18 00 01 00ff 00ff 00ff 10 08 00 000000 00000004 64657369";
}

TEST_CASE("rfb ServerInit: golden bytes and decode", "[rfb]") {
  server_init init;
  init.width = 1024;
  init.height = 768;
  const bytes pf = hex("20 18 00 01 00ff 00ff 00ff 10 08 00 000000");
  std::copy(pf.begin(), pf.end(), init.pixel_format.begin());
  init.name = "desi";
  REQUIRE(encode_server_init(init) == hex(server_init_wire));

  const auto d = decode_server_init(concat(hex(server_init_wire), hex("00")));
  REQUIRE(d.has_value());
  REQUIRE(d->value.width == 1024);
  REQUIRE(d->value.height == 768);
  REQUIRE(d->value.pixel_format == init.pixel_format);
  REQUIRE(d->value.name == "desi");
  REQUIRE(d->size == 28);
}

TEST_CASE("rfb ServerInit: every prefix needs more", "[rfb]") {
  require_need_more_for_every_prefix(hex(server_init_wire), [](byte_view b) { return decode_server_init(b); });
}

TEST_CASE("rfb ServerInit: name length bound", "[rfb]") {
  const bytes header = hex("0400 0300 20 18 00 01 00ff 00ff 00ff 10 08 00 000000");
  const auto length = GENERATE(std::uint32_t{max_desktop_name + 1}, 0x7fffffffu, 0xffffffffu);
  bytes in = header;
  put_u32(in, length);
  REQUIRE(decode_server_init(in).error() == errc::too_long);

  bytes at_limit = header;
  put_u32(at_limit, max_desktop_name);
  at_limit.resize(at_limit.size() + max_desktop_name, 'n');
  const auto d = decode_server_init(at_limit);
  REQUIRE(d.has_value());
  REQUIRE(d->value.name.size() == max_desktop_name);
}

// ---------------------------------------------------------------- robustness

namespace {

struct outcome {
  bool has_value = false;
  std::size_t size = 0;
};

template <class R>
outcome summarize(const R& r) {
  return r.has_value() ? outcome{true, r->size} : outcome{false, 0};
}

struct decoder_case {
  const char* name;
  std::function<outcome(byte_view)> decode;
  std::vector<bytes> samples;  // valid messages to mutate
};

std::vector<decoder_case> all_decoders() {
  using pv = protocol_version;
  std::vector<decoder_case> out;
  out.push_back({"version", [](byte_view b) { return summarize(decode_version(b)); },
                 {text("RFB 003.008\n"), text("RFB 003.889\n")}});
  out.push_back({"security_choice", [](byte_view b) { return summarize(decode_security_choice(b)); }, {hex("02")}});
  for (const pv v : {pv::v3_3, pv::v3_7, pv::v3_8}) {
    out.push_back({"security_offer", [v](byte_view b) { return summarize(decode_security_offer(b, v)); },
                   {hex("00000002"), hex("00000000 00000002 6e6f"), hex("02 01 02"), hex("00 00000002 6e6f")}});
    out.push_back({"security_result", [v](byte_view b) { return summarize(decode_security_result(b, v)); },
                   {hex("00000000"), hex("00000001 00000002 6e6f")}});
  }
  out.push_back({"vencrypt_version", [](byte_view b) { return summarize(decode_vencrypt_version(b)); }, {hex("0002")}});
  out.push_back({"vencrypt_subtype_choice", [](byte_view b) { return summarize(decode_vencrypt_subtype_choice(b)); },
                 {hex("00000103")}});
  out.push_back({"plain_credentials", [](byte_view b) { return summarize(decode_plain_credentials(b)); },
                 {hex("00000005 00000006 616c696365 733363726574"), hex("00000000 00000000")}});
  out.push_back({"vnc_auth_challenge", [](byte_view b) { return summarize(decode_vnc_auth_challenge(b)); },
                 {bytes(16, 0x5a)}});
  out.push_back({"client_init", [](byte_view b) { return summarize(decode_client_init(b)); }, {hex("01")}});
  out.push_back({"server_init", [](byte_view b) { return summarize(decode_server_init(b)); },
                 {hex(server_init_wire)}});
  return out;
}

}  // namespace

TEST_CASE("rfb every decoder survives pseudo-random input", "[rfb]") {
  std::mt19937 rng(0x5eed);  // fixed: a failure reproduces
  auto below = [&rng](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };

  for (const auto& dc : all_decoders()) {
    INFO(dc.name);
    for (int i = 0; i < 4000; ++i) {
      bytes input;
      if (i % 2 == 0) {
        // Random bytes; small lengths dominate so that short messages get hit often.
        input.resize(i % 10 == 0 ? below(300) : below(40));
        for (auto& b : input) b = static_cast<std::uint8_t>(below(256));
      } else {
        // A valid message with a few bytes changed, cut short or extended.
        input = dc.samples[below(dc.samples.size())];
        const std::size_t edits = 1 + below(3);
        for (std::size_t e = 0; e < edits && !input.empty(); ++e) {
          input[below(input.size())] = static_cast<std::uint8_t>(i % 3 == 0 ? 0xff : below(256));
        }
        if (below(3) == 0) input.resize(below(input.size() + 1));
        if (below(3) == 0) input.resize(input.size() + below(20), static_cast<std::uint8_t>(below(256)));
      }
      // An exact-size heap copy, so ASan sees any read past the span.
      const std::vector<std::uint8_t> exact(input.begin(), input.end());
      outcome o;
      REQUIRE_NOTHROW(o = dc.decode(exact));
      if (o.has_value) {
        REQUIRE(o.size <= exact.size());
        // The message ends where the decoder said: its own bytes alone decode the same.
        const outcome again = dc.decode(byte_view(exact.data(), o.size));
        REQUIRE(again.has_value);
        REQUIRE(again.size == o.size);
      }
    }
  }
}
