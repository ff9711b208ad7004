// reload_test.cpp — SIGHUP: a reload that keeps a session's rights keeps the session,
// one that removes them ends it with "access revoked" (unless configured to keep it),
// a broken configuration changes nothing, and listeners follow the new file.
#include <catch2/catch.hpp>
#include <thread>

#include "harness/loopback.hpp"
#include "scenario.hpp"

using namespace vncgate::e2e;
using namespace std::chrono_literals;

namespace {

struct reload_setup : small_desk_setup {
  gateway_options options_allowing(std::vector<std::string> users) {
    return {.users = {alice, bob}, .targets = {target_for(desk, "desk", std::move(users))}};
  }
};

bool ended(const gateway& gw, const std::string& source) {
  auto session = gw.audit().session_of(source, 1s);
  if (!session) return false;
  for (const auto& e : gw.audit().events_of(*session))
    if (is_event(e, "session_end")) return true;
  return false;
}

}  // namespace

TEST_CASE("reload: a session keeps running while its rights stay, and ends when they go", "[e2e][reload]") {
  reload_setup s;
  gateway gw(s.dir, s.tls, s.options_allowing({"alice"}));
  std::optional<audit_event> revoked;
  bool survived_first_reload = false;

  auto r = vnc_connect(gw.port(), login_as(alice, s.tls), {.while_connected = [&](const vnc_session_result& live) {
    REQUIRE(gw.reload(s.options_allowing({"alice", "bob"})));
    std::this_thread::sleep_for(300ms);
    survived_first_reload = !ended(gw, live.source());
    REQUIRE(gw.reload(s.options_allowing({"bob"})));
    auto session = gw.audit().session_of(live.source());
    REQUIRE(session);
    revoked = gw.audit().wait_session_end(*session);
  }});
  INFO(r.log_text());
  REQUIRE(r.connected);
  CHECK(survived_first_reload);
  REQUIRE(revoked);
  CHECK(text_of(*revoked, "outcome") == "access_revoked");
  CHECK(text_of(*revoked, "user") == "alice");

  // New rules for new connections: alice is refused, bob gets in.
  auto refused = vnc_connect(gw.port(), login_as(alice, s.tls));
  CHECK_FALSE(refused.connected);
  CHECK(refused.failure_reason() == "target not allowed");
  require_frame(gw.port(), login_as(bob, s.tls), 320, 240);

  int reloads = 0;
  for (const auto& e : gw.audit().settled_events())
    if (is_event(e, "config_reload") && text_of(e, "result") == "success") ++reloads;
  CHECK(reloads == 2);
  check_clean_shutdown(gw, {alice.password, bob.password, vnc_password});
}

TEST_CASE("reload: end_revoked_sessions false keeps a revoked session running", "[e2e][reload]") {
  reload_setup s;
  auto options = s.options_allowing({"alice"});
  options.end_revoked_sessions = false;
  gateway gw(s.dir, s.tls, options);
  bool still_running = false;
  auto r = vnc_connect(gw.port(), login_as(alice, s.tls), {.while_connected = [&](const vnc_session_result& live) {
    auto revoke = s.options_allowing({"bob"});
    revoke.end_revoked_sessions = false;
    REQUIRE(gw.reload(revoke));
    std::this_thread::sleep_for(500ms);
    still_running = !ended(gw, live.source());
  }});
  INFO(r.log_text());
  REQUIRE(r.connected);
  CHECK(still_running);
  check_session_outcome(gw, r.source(), "ok");
  check_clean_shutdown(gw, {alice.password, bob.password, vnc_password});
}

TEST_CASE("reload: a broken configuration is reported with its position and changes nothing", "[e2e][reload]") {
  reload_setup s;
  gateway gw(s.dir, s.tls, s.options_allowing({"alice"}));
  std::string good = read_text(gw.config_path());

  CHECK_FALSE(gw.reload_with_text(good + "policy_typo: 1\n"));
  CHECK(gw.stderr_text().find("unknown key 'policy_typo'") != std::string::npos);
  CHECK(gw.stderr_text().find(gw.config_path().string() + ":") != std::string::npos);
  CHECK(gw.stderr_text().find("keeping the current configuration") != std::string::npos);
  CHECK_FALSE(gw.reload_with_text("listeners: [\n"));

  bool audited = false;
  for (const auto& e : gw.audit().settled_events())
    audited = audited || (is_event(e, "config_reload") && text_of(e, "result") == "failure");
  CHECK(audited);
  // The old rules still hold: alice gets in, bob does not.
  require_frame(gw.port(), login_as(alice, s.tls), 320, 240);
  CHECK_FALSE(vnc_connect(gw.port(), login_as(bob, s.tls)).connected);
  check_clean_shutdown(gw, {alice.password, bob.password, vnc_password});
}

TEST_CASE("reload: listeners are opened and closed to match the new file", "[e2e][reload]") {
  reload_setup s;
  gateway gw(s.dir, s.tls, s.options_allowing({"alice"}));
  std::uint16_t first = gw.port(0);

  auto two = s.options_allowing({"alice"});
  two.listeners = {listener_spec{}, listener_spec{}};
  REQUIRE(gw.reload(two));
  std::uint16_t second = gw.port(1);
  CHECK(gw.port(0) == first);
  CHECK(wait_until([&] { return process_listens(gw.pid(), second); }, 5s));
  require_frame(second, login_as(alice, s.tls), 320, 240);
  require_frame(first, login_as(alice, s.tls), 320, 240);

  REQUIRE(gw.reload(s.options_allowing({"alice"})));
  CHECK(wait_until([&] { return !process_listens(gw.pid(), second); }, 5s));
  CHECK(process_listens(gw.pid(), first));
  require_frame(first, login_as(alice, s.tls), 320, 240);
  check_clean_shutdown(gw, {alice.password, bob.password, vnc_password});
}
