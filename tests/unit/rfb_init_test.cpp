// rfb_init_test.cpp — the initialisation messages that end the handshake: ClientInit
// (the shared flag) and ServerInit (size, pixel format, desktop name). Golden bytes laid
// out by RFC 6143 §7.3, every truncation, and the bound on the desktop name's length.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>

#include "rfb/init.hpp"
#include "rfb/server_messages.hpp"
#include "rfb_test_support.hpp"

using namespace vncgate::rfb;
using namespace vncgate::rfb::tests;

TEST_CASE("rfb ClientInit", "[rfb]") {
  REQUIRE(encode_client_init(true) == hex("01"));
  REQUIRE(encode_client_init(false) == hex("00"));
  REQUIRE(decode_client_init(hex("00"))->value == false);
  REQUIRE(decode_client_init(hex("01"))->value == true);
  REQUIRE(decode_client_init(hex("80 00"))->value == true);
  REQUIRE(decode_client_init(hex("80 00"))->size == 1);
  REQUIRE(decode_client_init({}).error() == errc::need_more);
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
  require_need_more_for_every_prefix(hex(server_init_wire), decode_server_init);
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

TEST_CASE("DesktopName update: golden bytes, and long names are cut at 255", "[server_messages]") {
  using vncgate::rfb::bytes;
  const bytes expected{0, 0, 0, 1,                    // FramebufferUpdate, padding, 1 rectangle
                       0, 0, 0, 0, 0, 0, 0, 0,        // x y w h
                       0xFF, 0xFF, 0xFE, 0xCD,        // -307
                       0, 0, 0, 3, 'b', 'y', 'e'};
  CHECK(vncgate::rfb::encode_desktop_name_update("bye") == expected);
  auto long_name = vncgate::rfb::encode_desktop_name_update(std::string(300, 'x'));
  REQUIRE(long_name.size() == 20 + 255);
  CHECK(long_name[19] == 255);
}
