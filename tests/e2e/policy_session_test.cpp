// policy_session_test.cpp — limits on sessions: concurrent caps (global, per user, per
// target, by policy and per target) refuse the next login with "too many sessions"
// and an audit reason naming the cap, while other users or targets still get in; an
// idle session (no key or pointer input, however many update requests) ends at
// idle_timeout; input keeps it alive until max_session ends it.
#include <catch2/catch.hpp>
#include <thread>

#include "harness/loopback.hpp"
#include "scenario.hpp"

using namespace vncgate::e2e;

namespace {

struct cap_case {
  const char* name;
  std::vector<std::string> policy_lines;
  std::vector<std::string> desk_lines;  // under target "desk"
  std::string second_user;              // logs in while alice holds a session on desk
  std::string audit_cap;                // the cap the audit reason names
  std::string admitted_login;           // still gets in meanwhile ("" = nobody: global)
};

}  // namespace

TEST_CASE("policy: session caps refuse the next session with too many sessions", "[e2e][policy][sessions]") {
  auto c = GENERATE(values<cap_case>({
      {"global max_sessions", {"max_sessions: 1"}, {}, "bob@other", "global", ""},
      {"max_sessions_per_user", {"max_sessions_per_user: 1"}, {}, "alice@other", "user", "bob@desk"},
      {"max_sessions_per_target", {"max_sessions_per_target: 1"}, {}, "bob@desk", "target", "bob@other"},
      {"a target's own max_sessions", {}, {"max_sessions: 1"}, "bob@desk", "target", "bob@other"},
  }));
  INFO("case: " << c.name);
  small_desk_setup s;
  auto desk = target_for(s.desk, "desk", {"alice", "bob"});
  desk.extra_lines = c.desk_lines;
  auto other = target_for(s.desk, "other", {"alice", "bob"});  // the same desktop under a second name
  gateway gw(s.dir, s.tls, {.users = {alice, bob}, .targets = {desk, other}, .policy_lines = c.policy_lines});
  auto password_of = [](const std::string& login) { return login.starts_with("alice") ? alice.password : bob.password; };

  std::optional<login_attempt> refused, admitted;
  std::optional<std::pair<int, int>> admitted_size;
  auto holder = vnc_connect(gw.port(), login_as(alice, s.tls, "@desk"), {.while_connected = [&](vnc_live&) {
    refused = vencrypt_login(gw.port(), c.second_user, password_of(c.second_user), s.tls.certificate);
    if (!c.admitted_login.empty()) {
      raw_client client(gw.port());
      admitted = vencrypt_login(client, c.admitted_login, password_of(c.admitted_login), s.tls.certificate);
      if (admitted->ok()) admitted_size = client_init(client);
    }
  }});
  INFO(holder.log_text());
  REQUIRE(holder.full_frame);
  REQUIRE(refused);
  INFO("refused attempt: " << refused->error);
  CHECK(refused->refused());
  CHECK(refused->reason == "too many sessions");
  auto end = check_session_outcome(gw, refused->source, "session_limit");
  CHECK(text_of(end, "reason").find(c.audit_cap) != std::string::npos);
  if (!c.admitted_login.empty()) {
    REQUIRE(admitted);
    INFO("admitted attempt: " << admitted->error << " " << admitted->reason);
    CHECK(admitted->ok());
    CHECK(admitted_size == std::optional<std::pair<int, int>>({320, 240}));
  }
  check_session_outcome(gw, holder.source(), "ok");

  // The place is free again once the holder has gone (given back as the session goes,
  // maybe just after its audit line).
  std::this_thread::sleep_for(200ms);
  auto after = vencrypt_login(gw.port(), c.second_user, password_of(c.second_user), s.tls.certificate);
  INFO("after: " << after.error << " " << after.reason);
  CHECK(after.ok());
  check_clean_shutdown(gw, {alice.password, bob.password, vnc_password});
}

TEST_CASE("policy: idle_timeout ends a session without input and input keeps it until max_session",
          "[e2e][policy][sessions]") {
  small_desk_setup s;
  auto desk = target_for(s.desk, "desk", {"alice"});
  desk.extra_lines = {"max_session: 4s"};
  gateway gw(s.dir, s.tls, {.users = {alice}, .targets = {desk}, .policy_lines = {"idle_timeout: 2s"}});

  // libvncclient keeps sending FramebufferUpdateRequests while it serves: not input.
  std::chrono::milliseconds idle_for{0};
  auto idle = vnc_connect(gw.port(), login_as(alice, s.tls), {.while_connected = [&](vnc_live& live) {
    CHECK(live.wait_closed(6s));
    idle_for = live.closed_after();
  }});
  INFO(idle.log_text());
  REQUIRE(idle.full_frame);
  INFO("idle session closed after " << idle_for.count() << " ms");
  CHECK(idle_for >= 1500ms);
  CHECK(idle_for <= 3500ms);
  check_session_outcome(gw, idle.source(), "idle_timeout");

  // A pointer event every 400 ms: never idle, so it runs until the 4 s maximum.
  std::chrono::milliseconds busy_for{0};
  auto busy = vnc_connect(gw.port(), login_as(alice, s.tls), {.while_connected = [&](vnc_live& live) {
    auto started = std::chrono::steady_clock::now();
    for (int i = 0; live.open() && i < 20; ++i) {
      live.pointer(20 + i % 2, 20);
      live.serve(400ms);
    }
    busy_for = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    CHECK_FALSE(live.open());
  }});
  INFO(busy.log_text());
  REQUIRE(busy.full_frame);
  INFO("busy session closed after about " << busy_for.count() << " ms");
  CHECK(busy_for >= 2800ms);  // well past the idle timeout
  CHECK(busy_for <= 5500ms);
  check_session_outcome(gw, busy.source(), "max_session");
  check_clean_shutdown(gw, {alice.password, vnc_password});
}
