// audit_test.cpp — the audit trail's schema: each event's fields and their types for a
// session that went through, a refused login and a protocol error; session ids are
// unique; no field is named after or holds a password.
#include <catch2/catch.hpp>
#include <set>

#include "scenario.hpp"

using namespace vncgate::e2e;

namespace {

void require_text(const audit_event& e, std::string_view key) {
  INFO("field " << key << " in " << boost::json::serialize(e));
  CHECK_FALSE(text_of(e, key).empty());
}

void require_count(const audit_event& e, std::string_view key) {
  INFO("field " << key << " in " << boost::json::serialize(e));
  CHECK(number_of(e, key).value_or(-1) >= 0);
}

}  // namespace

TEST_CASE("audit lines carry the documented fields", "[e2e][audit]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  xvnc_server desk(dir, {.password = vnc_password, .width = 320, .height = 240});
  gateway gw(dir, tls, {.users = {alice}, .targets = {target_for(desk, "desk", {"alice"})}});

  auto good = require_frame(gw.port(), login_as(alice, tls), 320, 240);
  auto bad = vnc_connect(gw.port(), {"alice", "guessed-pw", tls.certificate});
  CHECK_FALSE(bad.connected);
  std::string junk_source;
  {
    raw_client junk(gw.port());
    junk_source = junk.source();
    REQUIRE(exchange_versions(junk, "XYZ 999.999\n"));
    CHECK(junk.wait_closed(3s));
  }
  for (const auto& source : {good.source(), bad.source(), junk_source}) REQUIRE(gw.audit().session_of(source));
  for (const auto& source : {good.source(), bad.source(), junk_source})
    REQUIRE(gw.audit().wait_session_end(*gw.audit().session_of(source)));

  static const std::set<std::string> outcomes = {
      "ok", "auth_failed", "not_allowed", "upstream_unavailable", "upstream_auth_failed", "protocol_error",
      "no_common_security", "tls_failed", "handshake_timeout", "client_closed", "internal_error", "shutdown"};
  std::set<std::string> sessions;
  for (const auto& e : gw.audit().settled_events()) {
    INFO(boost::json::serialize(e));
    for (const auto& [key, value] : e) {
      CHECK(std::string(key).find("password") == std::string::npos);
      if (value.is_string()) CHECK(std::string(value.as_string()).find("guessed-pw") == std::string::npos);
    }
    require_text(e, "time");
    require_text(e, "session");
    if (is_event(e, "connection_accepted")) {
      CHECK(sessions.insert(text_of(e, "session")).second);  // one id per connection
      require_text(e, "source");
      CHECK(text_of(e, "listener") == "127.0.0.1:" + std::to_string(gw.port()));
    } else if (is_event(e, "auth")) {
      CHECK(text_of(e, "user") == "alice");
      CHECK(text_of(e, "method") == "file");
      CHECK((text_of(e, "result") == "success" || text_of(e, "result") == "failure"));
    } else if (is_event(e, "session_start")) {
      for (auto key : {"user", "source", "target", "target_address"}) require_text(e, key);
    } else if (is_event(e, "session_end")) {
      CHECK(outcomes.count(text_of(e, "outcome")) == 1);
      for (auto key : {"reason", "source"}) require_text(e, key);
      for (auto key : {"bytes_from_client", "bytes_to_client", "duration_ms"}) require_count(e, key);
    } else {
      FAIL_CHECK("unexpected event " << text_of(e, "event"));
    }
  }
  CHECK(sessions.size() == 3);
  check_session_outcome(gw, good.source(), "ok");
  check_session_outcome(gw, bad.source(), "auth_failed");
  check_session_outcome(gw, junk_source, "protocol_error");
  check_clean_shutdown(gw, {alice.password, vnc_password, "guessed-pw"});
}
