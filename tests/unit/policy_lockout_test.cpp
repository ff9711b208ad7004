// policy_lockout_test.cpp — failure lockout over time: the configuration and its checks,
// the threshold, the sliding window, when a lock ends, backoff and its cap, and
// reconfiguring a running lockout. Keys, successes, table bounds and threads are in
// policy_lockout_keys_test.cpp.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "policy/lockout.hpp"
#include "policy_lockout_support.hpp"

using namespace vncgate::policy;
using namespace vncgate::policy::tests;
using namespace std::chrono_literals;

TEST_CASE("lockout defaults follow the design contract", "[policy]") {
  const lockout_config c;
  CHECK(c.failures == 5);
  CHECK(c.source_failures == 20);  // many people may share one NAT address
  CHECK(c.window == 10min);
  CHECK(c.duration == 15min);
  CHECK(c.user_failures == 0);  // the per-user key is off unless configured
  CHECK(c.max_duration >= c.duration);
  CHECK(c.invalid_reason().empty());
}

TEST_CASE("lockout_config::invalid_reason", "[policy]") {
  using mutate = void (*)(lockout_config&);
  auto m = GENERATE(values<mutate>({
      [](lockout_config& c) { c.window = 0s; },
      [](lockout_config& c) { c.window = -1s; },
      [](lockout_config& c) { c.duration = 0s; },
      [](lockout_config& c) { c.max_duration = c.duration - 1s; },
      [](lockout_config& c) { c.backoff_reset = -1s; },
      [](lockout_config& c) { c.max_duration = 24h * 4000; },
      [](lockout_config& c) { c.user_failures = c.failures - 1; },
      [](lockout_config& c) { c.source_failures = c.failures - 1; },
      [](lockout_config& c) { c.source_failures = 1; },
      [](lockout_config& c) { c.max_entries = 0; },
      [](lockout_config& c) { c.max_key_bytes = 0; },
  }));
  lockout_config c;
  m(c);
  CHECK_FALSE(c.invalid_reason().empty());

  lockout_config fine;
  fine.user_failures = fine.failures;  // equal is allowed, higher the usual
  fine.source_failures = fine.failures;
  fine.max_duration = fine.duration;
  CHECK(fine.invalid_reason().empty());
}

TEST_CASE("lockout: threshold - 1 failures pass, the threshold-th locks", "[policy]") {
  const std::uint32_t threshold = GENERATE(1u, 2u, 5u, 7u);
  lockout_config c;
  c.failures = threshold;
  c.source_failures = threshold;
  lockout l(c);
  for (std::uint32_t i = 1; i < threshold; ++i) {
    const auto v = l.record_failure("alice", "127.0.0.1", t0 + 1s * i);
    CHECK_FALSE(v.locked);
    CHECK_FALSE(v.triggered);
    CHECK(v.failures == i);
    CHECK_FALSE(l.check("alice", "127.0.0.1", t0 + 1s * i).locked);
  }
  const auto now = t0 + 1s * threshold;
  const auto v = l.record_failure("alice", "127.0.0.1", now);
  CHECK(v.locked);
  CHECK(v.triggered);
  CHECK(v.until == now + 15min);
  CHECK(v.failures == threshold);
  CHECK(v.key == lock_key::user_source);  // both start together; the more specific is named
  CHECK(v.of(lock_key::source).locked);
  CHECK(v.of(lock_key::source).triggered);
  CHECK(v.of(lock_key::user_source).triggered);
  CHECK(v.of(lock_key::user_source).lockouts == 1);
  CHECK_FALSE(v.of(lock_key::user).locked);

  const auto again = l.check("alice", "127.0.0.1", now);
  CHECK(again.locked);
  CHECK_FALSE(again.triggered);  // check never starts anything
  CHECK(again.until == now + 15min);
}

TEST_CASE("lockout: a sliding window - failures older than it do not count", "[policy]") {
  lockout l;
  for (int i = 0; i < 4; ++i) l.record_failure("alice", "10.0.0.1", t0 + 1min * i);
  CHECK(l.check("alice", "10.0.0.1", t0 + 10min - 1ns).failures == 4);
  // At t0 + window the first failure leaves the window: 3 left, plus this one.
  auto v = l.record_failure("alice", "10.0.0.1", t0 + 10min);
  CHECK_FALSE(v.locked);
  CHECK(v.failures == 4);
  // The one at t0 + 1min is still in: five within ten minutes.
  v = l.record_failure("alice", "10.0.0.1", t0 + 10min + 1s);
  CHECK(v.locked);
  CHECK(v.triggered);

  // Not a fixed window: 4 just before a would-be boundary and 1 after still lock.
  lockout m;
  fail_n(m, "bob", "10.0.0.2", t0 + 9min + 59s, 4);
  CHECK(m.record_failure("bob", "10.0.0.2", t0 + 10min + 1s).locked);

  // The count shown by check decays as the window slides.
  lockout n;
  n.record_failure("carol", "10.0.0.3", t0);
  n.record_failure("carol", "10.0.0.3", t0 + 5min);
  CHECK(n.check("carol", "10.0.0.3", t0 + 9min).failures == 2);
  CHECK(n.check("carol", "10.0.0.3", t0 + 10min).failures == 1);
  CHECK(n.check("carol", "10.0.0.3", t0 + 15min).failures == 0);
}

TEST_CASE("lockout: the lock ends exactly at until, then counting starts again", "[policy]") {
  lockout l(source_at_failures());
  fail_n(l, "alice", "10.0.0.1", t0, 5);
  const auto until = t0 + 15min;
  CHECK(l.check("alice", "10.0.0.1", until - 1ns).locked);
  CHECK(l.check("bob", "10.0.0.1", until - 1ns).locked);  // the source key, any user
  CHECK_FALSE(l.check("alice", "10.0.0.1", until).locked);

  // Failures racing with the one that locked are not counted against the lock.
  const auto during = l.record_failure("alice", "10.0.0.1", t0 + 1min);
  CHECK(during.locked);
  CHECK_FALSE(during.triggered);
  CHECK(during.until == until);

  for (int i = 0; i < 4; ++i) {
    CHECK_FALSE(l.record_failure("alice", "10.0.0.1", until + 1s * i).locked);
  }
  const auto second = l.record_failure("alice", "10.0.0.1", until + 4s);
  CHECK(second.triggered);
  CHECK(second.until == until + 4s + 30min);  // doubled
  CHECK(second.of(lock_key::source).lockouts == 2);
}

TEST_CASE("lockout: backoff doubles up to the cap and resets after quiet", "[policy]") {
  lockout_config c;
  c.duration = 15min;
  c.max_duration = 1h;
  c.backoff_reset = 2h;
  lockout l(c);
  auto now = t0;
  const std::vector<std::chrono::seconds> expected{15min, 30min, 1h, 1h, 1h};
  for (const auto d : expected) {
    for (int i = 0; i < 4; ++i) CHECK_FALSE(attempt(l, "alice", "10.0.0.1", now).locked);
    const auto v = attempt(l, "alice", "10.0.0.1", now);
    REQUIRE(v.triggered);
    CHECK(v.until == now + d);
    now = v.until;  // the next round starts the instant the lock ends
  }

  SECTION("one second short of the quiet period: still doubled") {
    now += 2h - 1s;
    fail_n(l, "alice", "10.0.0.1", now, 4);
    CHECK(l.record_failure("alice", "10.0.0.1", now).until == now + 1h);
  }
  SECTION("quiet for backoff_reset after the lock ended: back to duration") {
    now += 2h;
    fail_n(l, "alice", "10.0.0.1", now, 4);
    const auto v = l.record_failure("alice", "10.0.0.1", now);
    CHECK(v.until == now + 15min);
    CHECK(v.of(lock_key::user_source).lockouts == 1);
  }
  SECTION("a failure inside the quiet period restarts it") {
    l.record_failure("alice", "10.0.0.1", now + 1h);
    now += 2h + 30min;  // 2h30 after the lock, 1h30 after the last failure
    fail_n(l, "alice", "10.0.0.1", now, 4);
    CHECK(l.record_failure("alice", "10.0.0.1", now).until == now + 1h);
  }
}

TEST_CASE("lockout: many lockouts saturate at max_duration", "[policy]") {
  lockout_config c;
  c.failures = 1;
  c.duration = 1s;
  c.max_duration = 24h;
  lockout l(c);
  auto now = t0;
  std::chrono::nanoseconds last{};
  for (int i = 0; i < 200; ++i) {
    const auto v = l.record_failure("alice", "10.0.0.1", now);
    REQUIRE(v.triggered);
    last = v.until - now;
    CHECK(last <= 24h);
    now = v.until;
  }
  CHECK(last == 24h);
}

TEST_CASE("lockout: reconfigure keeps counters and locks", "[policy]") {
  lockout l;
  fail_n(l, "alice", "10.0.0.1", t0, 3);

  SECTION("a higher threshold counts on from where it was") {
    lockout_config c;
    c.failures = 10;
    l.reconfigure(c);
    CHECK(l.config().failures == 10);
    fail_n(l, "alice", "10.0.0.1", t0 + 1s, 6);  // 9
    CHECK_FALSE(l.check("alice", "10.0.0.1", t0 + 2s).locked);
    CHECK(l.record_failure("alice", "10.0.0.1", t0 + 2s).triggered);  // 10
  }
  SECTION("a lower threshold applies to the next failure") {
    lockout_config c;
    c.failures = 3;
    l.reconfigure(c);
    CHECK_FALSE(l.check("alice", "10.0.0.1", t0 + 1s).locked);  // not retroactive
    CHECK(l.record_failure("alice", "10.0.0.1", t0 + 1s).triggered);  // 3 newest kept
  }
  SECTION("a lock in force keeps its end; turning lockout off and on again") {
    fail_n(l, "alice", "10.0.0.1", t0, 2);
    lockout_config shorter;
    shorter.duration = 1min;
    l.reconfigure(shorter);
    CHECK(l.check("alice", "10.0.0.1", t0 + 14min).locked);

    lockout_config off;
    off.failures = 0;
    l.reconfigure(off);
    CHECK_FALSE(l.check("alice", "10.0.0.1", t0 + 1min).locked);
    fail_n(l, "carol", "10.0.0.7", t0, 20);
    CHECK_FALSE(l.check("carol", "10.0.0.7", t0).locked);
    CHECK(l.size().source == 1);  // nothing new counted while off

    l.reconfigure(lockout_config{});
    CHECK(l.check("alice", "10.0.0.1", t0 + 1min).locked);
    CHECK_FALSE(l.check("alice", "10.0.0.1", t0 + 15min).locked);
  }
  SECTION("a smaller table evicts at once, locks excepted") {
    auto big = source_at_failures();
    big.max_entries = 100;
    lockout m(big, 1);
    fail_n(m, "u", "locked", t0, 5);
    for (int i = 0; i < 50; ++i) m.record_failure("u", std::to_string(i), t0 + 1s * i);
    CHECK(m.size().source == 51);
    lockout_config small = big;
    small.max_entries = 10;
    m.reconfigure(small);
    CHECK(m.size().source == 10);
    CHECK(m.check("x", "locked", t0 + 1min).locked);
    CHECK(m.check("x", "49", t0 + 1min).failures == 1);  // the newest stay
    CHECK(m.check("x", "0", t0 + 1min).failures == 0);
  }
}
