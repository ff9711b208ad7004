// rfb_vnc_auth_test.cpp — VNC Authentication: the challenge, DES responses against
// known answers, the 8-character key, and vncpasswd files.
//
// Where the expected bytes come from:
//   - VncAuth: computed independently with the openssl CLI
//       printf <challenge> | openssl enc -des-ecb -provider legacy -provider default
//         -K <password, NUL padded to 8, each byte's bits mirrored> -nopad  (one line)
//     plus three challenge/response pairs captured with Wireshark and published in
//     mitchellh/go-vnc client_auth_test.go (re-checked with the openssl CLI).
//   - vncpasswd files: output of TigerVNC's `printf 'secret\n' | vncpasswd -f | xxd`.
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "rfb/vnc_auth.hpp"
#include "rfb_test_support.hpp"

using namespace vncgate::rfb;
using namespace vncgate::rfb::tests;

TEST_CASE("rfb VncAuth: DES is available from the legacy provider", "[rfb]") {
  REQUIRE(vnc_auth_available());
}

TEST_CASE("rfb decode_vnc_auth_challenge", "[rfb]") {
  const bytes wire = hex("000102030405060708090a0b0c0d0e0f 10");
  require_decoded(decode_vnc_auth_challenge(wire), block("000102030405060708090a0b0c0d0e0f"), 16);
  require_need_more_for_every_prefix(bytes(wire.begin(), wire.begin() + 16), decode_vnc_auth_challenge);
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
