// version_test.cpp — protocol versions: odd minor numbers that mean 3.8 (3.889, 3.14)
// get the 3.8 handshake and can log in; 3.7 gets the type list too. (3.3 and 3.5 are in
// refusal_test.cpp.) A raw client walks the whole VeNCrypt X509Plain login byte by byte.
#include <catch2/catch.hpp>

#include "scenario.hpp"

using namespace vncgate::e2e;

TEST_CASE("odd versions that mean 3.8 get type [19] and can log in", "[e2e][version]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  xvnc_server desk(dir, {.password = vnc_password, .width = 320, .height = 240});
  gateway gw(dir, tls, {.users = {alice}, .targets = {target_for(desk, "desk", {"alice"})}});

  std::string version = GENERATE(as<std::string>{}, "RFB 003.008\n", "RFB 003.889\n", "RFB 003.014\n");
  INFO("client version " << version);
  raw_client c(gw.port());
  REQUIRE(exchange_versions(c, version));
  REQUIRE(c.read_u8() == 1);
  REQUIRE(c.read_exact(1) == std::string("\x13", 1));
  REQUIRE(c.send_u8(19));
  REQUIRE(c.read_exact(2) == std::string("\x00\x02", 2));
  REQUIRE(c.send(std::string("\x00\x02", 2)));
  REQUIRE(c.read_u8() == 0);
  REQUIRE(c.read_u8() == 1);
  REQUIRE(c.read_u32() == 262u);
  REQUIRE(c.send_u32(262));
  REQUIRE(c.read_u8() == 1);  // subtype accepted: TLS follows
  REQUIRE(c.start_tls(tls.certificate));
  REQUIRE(c.send_plain_credentials("alice", alice.password));
  CHECK(c.read_u32() == 0u);  // SecurityResult OK (3.8 semantics)
  REQUIRE(c.send_u8(1));      // ClientInit: shared
  auto width = c.read_exact(2);
  auto height = c.read_exact(2);
  REQUIRE(width);
  REQUIRE(height);
  CHECK(std::string(*width) == std::string("\x01\x40", 2));   // 320
  CHECK(std::string(*height) == std::string("\x00\xf0", 2));  // 240
  REQUIRE(c.read_exact(16));                                  // pixel format
  auto name = c.read_string32();
  REQUIRE(name);
  c.close();
  auto end = check_session_outcome(gw, c.source(), "ok");
  CHECK(text_of(end, "user") == "alice");
  CHECK(text_of(end, "target") == "desk");
  check_clean_shutdown(gw, {alice.password, vnc_password});
}

TEST_CASE("a 3.7 client is offered [19] and can pick it", "[e2e][version]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  xvnc_server desk(dir, {.password = vnc_password});
  gateway gw(dir, tls, {.users = {alice}, .targets = {target_for(desk, "desk", {"alice"})}});
  raw_client c(gw.port());
  REQUIRE(exchange_versions(c, "RFB 003.007\n"));
  REQUIRE(c.read_u8() == 1);
  REQUIRE(c.read_exact(1) == std::string("\x13", 1));
  REQUIRE(c.send_u8(19));
  CHECK(c.read_exact(2) == std::string("\x00\x02", 2));
  c.close();
  check_session_outcome(gw, c.source(), "client_closed");
  check_clean_shutdown(gw, {alice.password, vnc_password});
}
