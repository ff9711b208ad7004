// policy_lockout_test.cpp — failure lockout against a real brute force: 50 wrong
// passwords from one address lock (user, source) after the threshold; every locked
// attempt gets the same "authentication failed" after the failure delay (tarpit), even
// with the right password; the audit trail names the lock; the same user from another
// loopback address, and another user from the same one, still log in. A per-source
// lock with `reveal` tells the client, and it ends when its duration is over.
#include <catch2/catch.hpp>
#include <future>
#include <thread>

#include "harness/loopback.hpp"
#include "scenario.hpp"

using namespace vncgate::e2e;

namespace {

constexpr auto failure_delay = 200ms;

// The auth line of the session from `source` (there is exactly one per attempt).
audit_event auth_line_of(const gateway& gw, const std::string& source) {
  INFO("client source " << source);
  auto session = gw.audit().session_of(source);
  REQUIRE(session);
  REQUIRE(gw.audit().wait_session_end(*session));
  std::optional<audit_event> auth;
  for (auto& e : gw.audit().events_of(*session))
    if (is_event(e, "auth")) auth = std::move(e);
  REQUIRE(auth);
  return *auth;
}

// A refused attempt answered like any wrong password, no sooner than the failure delay.
void check_generic_refusal(const login_attempt& a) {
  INFO("attempt from " << a.source << ": " << a.error);
  REQUIRE(a.answered);
  CHECK(a.refused());
  CHECK(a.reason == "authentication failed");
  CHECK(a.took >= failure_delay);
}

void check_locked_out(const gateway& gw, const login_attempt& a, const std::string& lock) {
  auto auth = auth_line_of(gw, a.source);
  INFO(boost::json::serialize(auth));
  CHECK(text_of(auth, "result") == "failure");
  CHECK(text_of(auth, "reason") == "locked_out");
  CHECK(text_of(auth, "lock") == lock);
  check_session_outcome(gw, a.source, "locked_out");
}

// The lock lasts the configured duration (the audit may count from the start of the
// attempt that triggered it, so allow that attempt's own time on top).
void check_lock_duration(const audit_event& lockout, std::chrono::milliseconds configured) {
  auto duration = number_of(lockout, "duration_ms").value_or(-1);
  INFO("duration_ms " << duration << ", configured " << configured.count());
  CHECK(duration >= static_cast<double>(configured.count()));
  CHECK(duration <= static_cast<double>(configured.count() + 2000));
}

}  // namespace

TEST_CASE("policy: brute force from one address locks (user, source) but not the same user elsewhere",
          "[e2e][policy][lockout]") {
  small_desk_setup s;
  gateway gw(s.dir, s.tls, {.users = {alice, bob}, .targets = {target_for(s.desk, "desk", {"alice", "bob"})},
                            .failure_delay = "200ms",
                            .policy_lines = {"lockout: {failures: 5, source_failures: 20, window: 10m, duration: 15m}"}});
  const int threshold = 5, attempts = 50;

  // Up to the threshold: ordinary failures, counted; the last one starts the lock.
  for (int i = 1; i <= threshold; ++i) {
    auto a = vencrypt_login(gw.port(), "alice", "guess-" + std::to_string(i), s.tls.certificate);
    check_generic_refusal(a);
    auto auth = auth_line_of(gw, a.source);
    CHECK(text_of(auth, "result") == "failure");
    CHECK(text_of(auth, "reason") != "locked_out");
    check_session_outcome(gw, a.source, "auth_failed");
  }
  auto lockouts = events_named(gw, "lockout");
  REQUIRE(lockouts.size() == 1);
  INFO(boost::json::serialize(lockouts[0]));
  CHECK(text_of(lockouts[0], "key") == "user_source");
  CHECK(text_of(lockouts[0], "user") == "alice");
  CHECK(text_of(lockouts[0], "source").starts_with("127.0.0.1"));
  CHECK(number_of(lockouts[0], "failures") == std::optional<double>(threshold));
  check_lock_duration(lockouts[0], 15min);

  // The rest in parallel (9 at a time): each one is locked out, and tarpitted.
  std::vector<std::future<std::vector<login_attempt>>> workers;
  const int rest = attempts - threshold, parallel = 9;
  for (int w = 0; w < parallel; ++w)
    workers.push_back(std::async(std::launch::async, [&, w] {
      std::vector<login_attempt> done;
      for (int i = w; i < rest; i += parallel)
        done.push_back(vencrypt_login(gw.port(), "alice", "guess-" + std::to_string(threshold + 1 + i),
                                      s.tls.certificate));
      return done;
    }));
  int locked = 0;
  for (auto& worker : workers)
    for (const auto& a : worker.get()) {
      check_generic_refusal(a);
      check_locked_out(gw, a, "user_source");
      ++locked;
    }
  CHECK(locked == rest);

  // The right password does not help from here: the lock is checked before the password.
  auto right = vencrypt_login(gw.port(), alice.name, alice.password, s.tls.certificate);
  check_generic_refusal(right);
  check_locked_out(gw, right, "user_source");
  CHECK(events_named(gw, "lockout").size() == 1);  // locked attempts start no new lock

  // alice from another address, and bob from this one, are not locked.
  auto elsewhere = vnc_connect(gw.port(), login_as(alice, s.tls), {.source_host = "127.0.0.2"});
  INFO(elsewhere.log_text());
  CHECK(elsewhere.full_frame);
  CHECK(text_of(auth_line_of(gw, elsewhere.source()), "result") == "success");
  check_session_outcome(gw, elsewhere.source(), "ok");
  check_still_serves(gw, gw.port(), login_as(bob, s.tls), 320, 240);
  check_clean_shutdown(gw, {alice.password, bob.password, vnc_password, "guess-1", "guess-50"});
}

TEST_CASE("policy: a per-source lock hits every user from that address, says so with reveal, and ends",
          "[e2e][policy][lockout]") {
  small_desk_setup s;
  gateway gw(s.dir, s.tls, {.users = {alice, bob}, .targets = {target_for(s.desk, "desk", {"alice", "bob"})},
                            .failure_delay = "200ms",
                            .policy_lines = {"lockout: {failures: 2, source_failures: 3, window: 1m, duration: 2s, "
                                             "reveal: true}"}});
  const std::string attacker = "127.0.0.3";
  for (const std::string name : {"root", "admin", "zed"}) {
    auto a = vencrypt_login(gw.port(), name, "nope-" + name, s.tls.certificate, attacker);
    check_generic_refusal(a);  // the failures themselves reveal nothing
    check_session_outcome(gw, a.source, "auth_failed");
  }
  auto lock_started = std::chrono::steady_clock::now();
  auto lockouts = events_named(gw, "lockout");
  REQUIRE(lockouts.size() == 1);
  INFO(boost::json::serialize(lockouts[0]));
  CHECK(text_of(lockouts[0], "key") == "source");
  CHECK(text_of(lockouts[0], "source").starts_with(attacker));
  CHECK(number_of(lockouts[0], "failures") == std::optional<double>(3));
  check_lock_duration(lockouts[0], 2s);

  // bob, never named by the attacker, is locked out from that address too — and told so.
  auto bob_there = vencrypt_login(gw.port(), bob.name, bob.password, s.tls.certificate, attacker);
  REQUIRE(bob_there.answered);
  CHECK(bob_there.refused());
  CHECK(bob_there.reason == "too many failed attempts; try again later");
  CHECK(bob_there.took >= failure_delay);
  check_locked_out(gw, bob_there, "source");

  auto bob_here = vnc_connect(gw.port(), login_as(bob, s.tls));
  INFO(bob_here.log_text());
  CHECK(bob_here.full_frame);

  // Once the 2 s are over the address may try again.
  std::this_thread::sleep_until(lock_started + 2200ms);
  auto later = vnc_connect(gw.port(), login_as(alice, s.tls), {.source_host = attacker});
  INFO(later.log_text());
  CHECK(later.full_frame);
  check_session_outcome(gw, later.source(), "ok");
  check_clean_shutdown(gw, {alice.password, bob.password, vnc_password});
}
