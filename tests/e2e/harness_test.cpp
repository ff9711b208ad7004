// harness_test.cpp — the harness checked against real peers without the gateway, so a
// broken environment (no Xvnc, no Xvfb, libvncclient without GnuTLS, no socat) shows
// up as a harness failure rather than as a gateway bug.
#include <catch2/catch.hpp>

#include "harness/loopback.hpp"
#include "harness/process.hpp"
#include "harness/raw_client.hpp"
#include "harness/tls_unwrapper.hpp"
#include "harness/vnc_client.hpp"
#include "harness/vncviewer.hpp"
#include "harness/xvnc.hpp"
#include "scenario.hpp"

using namespace vncgate::e2e;

TEST_CASE("harness: libvncclient reads an Xvnc desktop pixel-exactly", "[e2e][harness]") {
  temp_dir dir;
  xvnc_server desk(dir, {.password = vnc_password, .width = 320, .height = 200, .root_colour = "#ff8000"});
  auto r = vnc_connect(desk.port(), {.password = vnc_password});
  INFO(r.log_text());
  REQUIRE(r.connected);
  REQUIRE(r.full_frame);
  CHECK(r.security_type == 2);
  CHECK(r.width == 320);
  CHECK(r.height == 200);
  CHECK(r.rgb.size() == 320u * 200u * 3u);
  for (int y = 0; y < r.height; y += 17)
    for (int x = 0; x < r.width; x += 13) REQUIRE(r.pixel(x, y) == std::array<std::uint8_t, 3>{255, 128, 0});

  auto wrong = vnc_connect(desk.port(), {.password = "wrongpw!"});
  INFO(wrong.log_text());
  CHECK_FALSE(wrong.connected);
  CHECK_FALSE(wrong.failure_reason().empty());  // Xvnc's 3.8 SecurityResult reason
  CHECK(desk.alive());
}

TEST_CASE("harness: a patterned root gives a stable and content-dependent hash", "[e2e][harness]") {
  temp_dir dir;
  xvnc_server desk(dir, {.password = "", .width = 256, .height = 128,
                         .pattern_foreground = "#102030", .pattern_background = "#f0e0d0"});
  auto first = vnc_connect(desk.port(), {});
  auto second = vnc_connect(desk.port(), {});
  INFO(first.log_text());
  REQUIRE(first.full_frame);
  REQUIRE(second.full_frame);
  CHECK(first.security_type == 1);
  CHECK(first.rgb_sha256 == second.rgb_sha256);
  bool has_fg = false, has_bg = false;
  for (int y = 0; y < first.height; ++y)
    for (int x = 0; x < first.width; ++x) {
      auto p = first.pixel(x, y);
      has_fg |= p == std::array<std::uint8_t, 3>{0x10, 0x20, 0x30};
      has_bg |= p == std::array<std::uint8_t, 3>{0xf0, 0xe0, 0xd0};
    }
  CHECK(has_fg);
  CHECK(has_bg);
  CHECK(first.rgb_sha256 != sha256_hex(std::vector<std::uint8_t>(first.rgb.size(), 0)));
}

TEST_CASE("harness: raw client reads Xvnc's security type list", "[e2e][harness]") {
  temp_dir dir;
  xvnc_server desk(dir, {.password = vnc_password});
  raw_client c(desk.port());
  REQUIRE(exchange_versions(c, "RFB 003.008\n"));
  auto count = c.read_u8();
  REQUIRE(count == 1);
  CHECK(c.read_exact(1) == std::string("\x02", 1));
  c.close();
  CHECK_FALSE(c.send("x"));
}

TEST_CASE("harness: vncviewer under Xvfb connects to Xvnc", "[e2e][harness]") {
  temp_dir dir;
  xvnc_server desk(dir, {.password = vnc_password});
  xvfb_display screen(dir);
  vncviewer viewer(dir, screen, desk.port(), {.password = vnc_password, .security_types = "VncAuth", .host = "127.0.0.1"});
  INFO(viewer.log());
  CHECK(viewer.wait_connected(10s));
  CHECK(viewer.alive());
}

TEST_CASE("harness: socat unwraps a TLS-first server for libvncclient", "[e2e][harness]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  xvnc_server desk(dir, {.password = vnc_password, .root_colour = "#00ff00"});
  auto tls_port = free_tcp_port();
  process wrapper({.argv = {"socat", "OPENSSL-LISTEN:" + std::to_string(tls_port) + ",bind=127.0.0.1,reuseaddr,fork,cert=" +
                                         tls.certificate.string() + ",key=" + tls.private_key.string() + ",verify=0",
                            "TCP:127.0.0.1:" + std::to_string(desk.port())},
                   .stdout_file = dir / "socat-server.log"});
  REQUIRE(wait_until([&] { return process_listens(wrapper.pid(), tls_port); }, 10s));
  tls_unwrapper unwrapper(dir, tls_port, tls.certificate);
  auto r = vnc_connect(unwrapper.port(), {.password = vnc_password});
  INFO(r.log_text() << unwrapper.log());
  REQUIRE(r.full_frame);
  CHECK(r.pixel(5, 5) == std::array<std::uint8_t, 3>{0, 255, 0});

  raw_client direct(tls_port);
  CHECK(direct.start_tls(tls.certificate));
  CHECK(direct.read_exact(12) == "RFB 003.008\n");
}

TEST_CASE("harness: process control and port and display claims", "[e2e][harness]") {
  temp_dir dir;
  CHECK_THROWS(process({.argv = {"/nonexistent/program"}}));
  auto r = run({.argv = {"sh", "-c", "echo out; echo err >&2; exit 3"}}, dir.path());
  CHECK(r.exit_code == 3);
  CHECK(r.out == "out\n");
  CHECK(r.err == "err\n");
  auto slow = run({.argv = {"sleep", "30"}}, dir.path(), 200ms);
  CHECK(slow.exit_code == -1);

  process stubborn({.argv = {"sh", "-c", "trap '' TERM; sleep 30"}});
  auto started = std::chrono::steady_clock::now();
  int status = stubborn.terminate(300ms);
  CHECK(WIFSIGNALED(status));
  CHECK(std::chrono::steady_clock::now() - started < 5s);

  display_claim a, b;
  CHECK(a.number() != b.number());
  CHECK(free_tcp_port() != 0);
}
