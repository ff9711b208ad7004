// log_test.cpp — the operator's log as JSON lines (`--log-format json`): every line the
// real gateway writes during a good and a refused session is one JSON object with time,
// level and message, and the lines about a session carry that session's id (the one
// the audit trail has).
#include <catch2/catch.hpp>
#include <boost/json/parse.hpp>
#include <sstream>

#include "scenario.hpp"

using namespace vncgate::e2e;

TEST_CASE("log: --log-format json writes one object per line, session lines with their id", "[e2e][log]") {
  small_desk_setup s;
  gateway gw(s.dir, s.tls,
             {.users = {alice}, .targets = {target_for(s.desk, "desk", {"alice"})}, .args = {"--log-format", "json"}});
  auto good = require_frame(gw.port(), login_as(alice, s.tls), 320, 240);
  auto wrong = vencrypt_login(gw.port(), "alice", "not-her-password", s.tls.certificate);
  REQUIRE(wrong.refused());
  auto good_session = gw.audit().session_of(good.source());
  auto wrong_session = gw.audit().session_of(wrong.source);
  REQUIRE(good_session);
  REQUIRE(wrong_session);
  REQUIRE(gw.audit().wait_session_end(*wrong_session));
  REQUIRE(gw.stop() == 0);

  std::istringstream lines(gw.stderr_text());
  int parsed = 0;
  bool good_line = false, wrong_line = false;
  for (std::string line; std::getline(lines, line);) {
    INFO(line);
    boost::system::error_code ec;
    auto value = boost::json::parse(line, ec);
    REQUIRE_FALSE(ec);
    REQUIRE(value.is_object());
    const auto& o = value.as_object();
    CHECK(o.contains("time"));
    CHECK(o.contains("level"));
    REQUIRE(o.contains("message"));
    ++parsed;
    const std::string message(o.at("message").as_string());
    const auto* session = o.if_contains("session");
    if (message.find("authenticated by file") != std::string::npos) {
      REQUIRE(session);
      CHECK(session->as_string() == *good_session);
      good_line = true;
    }
    if (session && session->as_string() == *wrong_session) wrong_line = true;
  }
  CHECK(parsed >= 4);  // ready, two sessions, stopping
  CHECK(good_line);
  CHECK(wrong_line);
  CHECK(gw.stderr_text().find(alice.password) == std::string::npos);
}
