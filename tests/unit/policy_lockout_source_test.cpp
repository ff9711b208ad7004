// policy_lockout_source_test.cpp — the source key's own threshold (source_failures):
// people sharing one NAT address, the threshold's edge, turning the key off, reconfiguring
// it, and its checks in invalid_reason. The other keys are in policy_lockout_keys_test.cpp.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <string>

#include "policy/lockout.hpp"
#include "policy_lockout_support.hpp"

using namespace vncgate::policy;
using namespace vncgate::policy::tests;
using namespace std::chrono_literals;

namespace {

// One failure each for `n` distinct users from `source`, 100ms apart from `start`;
// returns the verdict of the last.
lockout_verdict spray(lockout& l, std::string_view source, int n, lockout::time_point start,
                      int first_user = 0) {
  lockout_verdict v;
  for (int i = 0; i < n; ++i) {
    v = l.record_failure("user" + std::to_string(first_user + i), source, start + 100ms * i);
  }
  return v;
}

}  // namespace

TEST_CASE("lockout: people behind one NAT address do not lock each other out at 5",
          "[policy]") {
  lockout l;  // defaults: 5 per (user, source), 20 per source
  const std::string nat = "192.0.2.1";
  // Four people mistype their passwords four times each: 16 failures from one address.
  for (int u = 0; u < 4; ++u) fail_n(l, "user" + std::to_string(u), nat, t0 + 1s * u, 4);
  for (int u = 0; u < 4; ++u) {
    const auto v = l.check("user" + std::to_string(u), nat, t0 + 10s);
    CHECK_FALSE(v.locked);
    CHECK(v.of(lock_key::user_source).failures == 4);
    CHECK(v.of(lock_key::source).failures == 16);
    CHECK(v.failures == 16);  // the most either key holds
  }
  CHECK_FALSE(l.check("newcomer", nat, t0 + 10s).locked);

  // One of them keeps going: their own key locks at 5, nobody else's.
  const auto own = l.record_failure("user0", nat, t0 + 11s);
  CHECK(own.locked);
  CHECK(own.key == lock_key::user_source);
  CHECK_FALSE(own.of(lock_key::source).locked);
  CHECK(own.of(lock_key::source).failures == 17);
  CHECK_FALSE(l.check("user1", nat, t0 + 12s).locked);

  // Guessing at other users from the address: the 20th failure locks the source.
  CHECK_FALSE(spray(l, nat, 2, t0 + 20s, 100).locked);  // 19
  const auto v = l.record_failure("user200", nat, t0 + 30s);
  CHECK(v.locked);
  CHECK(v.triggered);
  CHECK(v.key == lock_key::source);
  CHECK(v.until == t0 + 30s + 15min);
  CHECK(v.of(lock_key::source).failures == 20);
  CHECK_FALSE(v.of(lock_key::user_source).locked);
  const auto anyone = l.check("someone-else", nat, t0 + 31s);
  CHECK(anyone.locked);
  CHECK(anyone.key == lock_key::source);
  CHECK_FALSE(l.check("someone-else", "192.0.2.2", t0 + 31s).locked);
}

TEST_CASE("lockout: source_failures - 1 failures pass, the source_failures-th locks",
          "[policy]") {
  const std::uint32_t threshold = GENERATE(5u, 6u, 20u, 1000u);
  lockout_config c;
  c.source_failures = threshold;
  lockout l(c);
  const auto n = static_cast<int>(threshold);
  const auto before = spray(l, "10.0.0.1", n - 1, t0);
  CHECK_FALSE(before.locked);
  CHECK(before.of(lock_key::source).failures == threshold - 1);
  const auto v = l.record_failure("last", "10.0.0.1", t0 + 100ms * n);
  CHECK(v.triggered);
  CHECK(v.key == lock_key::source);
  CHECK(v.of(lock_key::source).failures == threshold);
  CHECK(v.of(lock_key::source).lockouts == 1);
}

TEST_CASE("lockout: source_failures 0 turns the source key off, the others stay",
          "[policy]") {
  lockout_config c;
  c.source_failures = 0;
  lockout l(c);
  const auto v = spray(l, "10.0.0.1", 500, t0);
  CHECK_FALSE(v.locked);
  CHECK(v.of(lock_key::source).failures == 0);
  CHECK(l.size().source == 0);  // not even counted
  CHECK(l.size().user_source == 500);

  const auto pair = attempt(l, "alice", "10.0.0.1", t0 + 1min);
  CHECK_FALSE(pair.locked);
  fail_n(l, "alice", "10.0.0.1", t0 + 1min, 4);
  const auto locked = l.check("alice", "10.0.0.1", t0 + 2min);
  CHECK(locked.locked);
  CHECK(locked.key == lock_key::user_source);
  CHECK_FALSE(l.check("bob", "10.0.0.1", t0 + 2min).locked);
}

TEST_CASE("lockout: failures 0 turns the source key off whatever source_failures says",
          "[policy]") {
  lockout_config c;
  c.failures = 0;
  c.source_failures = 3;
  REQUIRE(c.invalid_reason().empty());
  lockout l(c);
  CHECK_FALSE(spray(l, "10.0.0.1", 50, t0).locked);
  CHECK_FALSE(l.check("anyone", "10.0.0.1", t0 + 1min).locked);
  CHECK(l.size().source == 0);
}

TEST_CASE("lockout: reconfiguring source_failures keeps the source counters", "[policy]") {
  lockout l;
  spray(l, "10.0.0.1", 10, t0);
  CHECK(l.check("x", "10.0.0.1", t0 + 1min).of(lock_key::source).failures == 10);

  SECTION("a lower threshold applies to the next failure") {
    auto c = l.config();
    c.source_failures = 8;
    l.reconfigure(c);
    CHECK(l.config().source_failures == 8);
    CHECK_FALSE(l.check("x", "10.0.0.1", t0 + 1min).locked);  // not retroactive
    const auto v = l.record_failure("y", "10.0.0.1", t0 + 1min);
    CHECK(v.triggered);
    CHECK(v.key == lock_key::source);
    CHECK(v.failures == 8);  // the newest 8 were kept
  }
  SECTION("off, then on again: nothing counted meanwhile, the old count is back") {
    auto off = l.config();
    off.source_failures = 0;
    l.reconfigure(off);
    CHECK(l.check("x", "10.0.0.1", t0 + 1min).of(lock_key::source).failures == 0);
    spray(l, "10.0.0.1", 30, t0 + 1min, 100);
    CHECK_FALSE(l.check("x", "10.0.0.1", t0 + 2min).locked);

    auto on = off;
    on.source_failures = 11;
    l.reconfigure(on);
    CHECK(l.check("x", "10.0.0.1", t0 + 2min).of(lock_key::source).failures == 10);
    CHECK(l.record_failure("z", "10.0.0.1", t0 + 2min).of(lock_key::source).triggered);
  }
}

TEST_CASE("lockout_config::invalid_reason and source_failures", "[policy]") {
  struct row {
    std::uint32_t failures;
    std::uint32_t source_failures;
    bool valid;
  };
  const auto r = GENERATE(values<row>({
      {5, 20, true},
      {5, 5, true},
      {5, 0, true},
      {5, 4, false},
      {5, 1, false},
      {100, 99, false},
      {1, 1, true},
      {0, 0, true},
      {0, 7, true},
  }));
  CAPTURE(r.failures, r.source_failures);
  lockout_config c;
  c.failures = r.failures;
  c.source_failures = r.source_failures;
  if (r.valid) {
    CHECK(c.invalid_reason().empty());
  } else {
    CHECK(c.invalid_reason() == "lockout source_failures must be 0 (off) or at least failures");
  }
}
