// policy_lockout_keys_test.cpp — failure lockout by key: which key locks where, what a
// success clears, keys that cannot be confused, tables that stay bounded (eviction and
// prune), 8 threads at once, and the keys' audit names. Thresholds, window, expiry,
// backoff and reconfigure are in policy_lockout_test.cpp.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "policy/lockout.hpp"
#include "policy_lockout_support.hpp"

using namespace vncgate::policy;
using namespace vncgate::policy::tests;
using namespace std::chrono_literals;

TEST_CASE("lockout: brute force from one address does not lock the user elsewhere",
          "[policy]") {
  lockout l(source_at_failures());
  int locked_answers = 0;
  for (int i = 0; i < 50; ++i) {
    if (attempt(l, "alice", "127.0.0.1", t0 + 1s * i).locked) ++locked_answers;
  }
  CHECK(locked_answers == 50 - 4);  // the 5th failure locks, and every later attempt
  const auto now = t0 + 1min;
  const auto here = l.check("alice", "127.0.0.1", now);
  CHECK(here.locked);
  CHECK(here.of(lock_key::source).locked);
  CHECK(here.of(lock_key::user_source).locked);
  CHECK(l.check("bob", "127.0.0.1", now).locked);  // spraying other users: source key
  CHECK(l.check("bob", "127.0.0.1", now).key == lock_key::source);

  const auto elsewhere = l.check("alice", "127.0.0.2", now);
  CHECK_FALSE(elsewhere.locked);
  CHECK(elsewhere.failures == 0);
  CHECK_FALSE(l.record_failure("alice", "127.0.0.2", now).locked);
}

TEST_CASE("lockout: the per-user key locks everywhere only when configured and exceeded",
          "[policy]") {
  lockout_config c;
  c.user_failures = 12;
  lockout l(c);
  // 5 counted failures from each address (then (alice, address) locks): 5, 10, 15.
  const std::vector<std::string> sources{"127.0.0.1", "127.0.0.3", "127.0.0.4"};
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 20; ++i) attempt(l, "alice", sources[round], t0 + 1s * i);
  }
  CHECK_FALSE(l.check("alice", "127.0.0.2", t0 + 30s).locked);  // 10 < 12
  CHECK(l.check("alice", "127.0.0.2", t0 + 30s).of(lock_key::user).failures == 10);

  lockout_verdict started;
  for (int i = 0; i < 20; ++i) {
    const auto v = attempt(l, "alice", sources[2], t0 + 40s + 1s * i);
    if (v.of(lock_key::user).triggered) started = v;
  }
  CHECK(started.of(lock_key::user).locked);
  CHECK(started.of(lock_key::user).failures == 12);
  const auto v = l.check("alice", "127.0.0.2", t0 + 1min);
  CHECK(v.locked);
  CHECK(v.key == lock_key::user);
  CHECK_FALSE(l.check("bob", "127.0.0.2", t0 + 1min).locked);
}

TEST_CASE("lockout: success clears (user, source) only, never the source evidence",
          "[policy]") {
  lockout l(source_at_failures());
  SECTION("an owned account between guesses does not reset the source counter") {
    const std::vector<std::string> victims{"bob", "carol", "dave", "erin", "frank"};
    lockout_verdict last;
    for (std::size_t i = 0; i < victims.size(); ++i) {
      const auto now = t0 + 10s * static_cast<int>(i);
      REQUIRE_FALSE(l.check("mallory", "10.6.6.6", now).locked);
      l.record_success("mallory", "10.6.6.6", now);
      last = attempt(l, victims[i], "10.6.6.6", now + 1s);
    }
    CHECK(last.locked);
    CHECK(last.triggered);
    CHECK(last.key == lock_key::source);
    CHECK(l.check("mallory", "10.6.6.6", t0 + 1min).locked);  // the owned account too
  }
  SECTION("the person's own counter is cleared, the source's is not") {
    fail_n(l, "alice", "10.0.0.1", t0, 4);
    l.record_success("alice", "10.0.0.1", t0 + 1s);
    const auto v = l.check("alice", "10.0.0.1", t0 + 2s);
    CHECK(v.of(lock_key::user_source).failures == 0);
    CHECK(v.of(lock_key::source).failures == 4);
  }
  SECTION("a success racing with a lock clears the pair's lock, not the source's") {
    fail_n(l, "alice", "10.0.0.1", t0, 5);
    l.record_success("alice", "10.0.0.1", t0 + 1s);
    const auto v = l.check("alice", "10.0.0.1", t0 + 2s);
    CHECK(v.locked);
    CHECK(v.key == lock_key::source);
    CHECK_FALSE(v.of(lock_key::user_source).locked);
    CHECK(v.of(lock_key::user_source).lockouts == 0);  // backoff forgotten too
  }
  SECTION("the per-user key is not cleared by a success from one place") {
    lockout_config c;
    c.user_failures = 6;
    l.reconfigure(c);
    fail_n(l, "alice", "10.0.0.1", t0, 3);
    fail_n(l, "alice", "10.0.0.2", t0, 2);
    l.record_success("alice", "10.0.0.3", t0 + 1s);
    CHECK(l.check("alice", "10.0.0.3", t0 + 2s).of(lock_key::user).failures == 5);
    CHECK(l.record_failure("alice", "10.0.0.4", t0 + 3s).of(lock_key::user).triggered);
  }
}

TEST_CASE("lockout: keys are unambiguous and length-bounded", "[policy]") {
  lockout_config c;
  c.max_key_bytes = 8;
  lockout l(c);
  fail_n(l, "a:b", "c", t0, 3);
  CHECK(l.check("a", "b:c", t0).of(lock_key::user_source).failures == 0);
  CHECK(l.check("a:b", "c", t0).of(lock_key::user_source).failures == 3);
  const std::string nul_user("x\0y", 3);
  fail_n(l, nul_user, "s", t0, 2);
  CHECK(l.check("x", "s", t0).of(lock_key::user_source).failures == 0);
  CHECK(l.check(nul_user, "s", t0).of(lock_key::user_source).failures == 2);

  // The length prefix is closed off: "1" + "2" + "abc..." is not "12" + "abc...".
  lockout d;
  fail_n(d, "2", "abcdefghijklmn", t0, 3);
  CHECK(d.check("abcdefghijkl", "mn", t0).of(lock_key::user_source).failures == 0);

  // Past max_key_bytes, names share a counter: stricter, never looser.
  const std::string huge_a = "abcdefgh" + std::string(100000, 'a');
  const std::string huge_b = "abcdefgh" + std::string(100000, 'b');
  fail_n(l, huge_a, "10.0.0.9", t0, 2);
  CHECK(l.check(huge_b, "10.0.0.9", t0).of(lock_key::user_source).failures == 2);
  CHECK(l.check("abcdefg", "10.0.0.9", t0).of(lock_key::user_source).failures == 0);
}

TEST_CASE("lockout: tables stay bounded under a flood of random users and sources",
          "[policy]") {
  lockout_config c;
  c.max_entries = 1000;
  c.user_failures = 50;
  lockout l(c);
  std::mt19937_64 rng(42);
  for (int i = 0; i < 100000; ++i) {
    const auto user = "u" + std::to_string(rng());
    const auto source = "10." + std::to_string(rng() % 256) + "." + std::to_string(rng() % 65536);
    attempt(l, user, source, t0 + 1ms * i);
    if (i % 997 == 0) {
      const auto s = l.size();
      REQUIRE(s.source <= 1000);
      REQUIRE(s.user_source <= 1000);
      REQUIRE(s.user <= 1000);
    }
  }
  const auto s = l.size();
  CHECK(s.source <= 1000);
  CHECK(s.user_source <= 1000);
  CHECK(s.user <= 1000);
  CHECK(s.source > 500);  // the bound is used, not an accident of pruning
  CHECK(l.counters().evicted > 0);
  CHECK(l.counters().untracked == 0);  // nothing here was locked
  // Everything in the flood is within the window: nothing expires yet ...
  CHECK(l.prune(t0 + 100s) == 0);
  // ... and all of it once the window has passed.
  CHECK(l.prune(t0 + 100s + 10min) == s.source + s.user_source + s.user);
  CHECK(l.size().source == 0);
}

TEST_CASE("lockout: eviction order when a table is full", "[policy]") {
  auto c = source_at_failures();
  c.max_entries = 3;
  lockout l(c, 1);  // one shard: the order is exact

  SECTION("expired keys first, then the one that expires soonest") {
    l.record_failure("u", "A", t0);
    l.record_failure("u", "B", t0 + 5min);
    l.record_failure("u", "C", t0 + 6min);
    l.record_failure("u", "D", t0 + 11min);  // A expired at t0 + 10min
    CHECK(l.counters().evicted == 0);
    CHECK(l.check("x", "B", t0 + 11min).failures == 1);
    l.record_failure("u", "E", t0 + 12min);  // full, none expired: B goes
    CHECK(l.counters().evicted == 2);        // its source key and (u, B)
    CHECK(l.check("x", "B", t0 + 12min).failures == 0);
    CHECK(l.check("x", "C", t0 + 12min).failures == 1);
    CHECK(l.check("x", "D", t0 + 12min).failures == 1);
    CHECK(l.size().source == 3);
  }
  SECTION("a key remembering a backoff outlives plain counters") {
    fail_n(l, "u", "A", t0, 5);  // locked until t0 + 15min, remembered for 24h after
    const auto later = t0 + 20min;
    l.record_failure("u", "B", later);
    l.record_failure("u", "C", later + 1s);
    l.record_failure("u", "D", later + 2s);  // B goes, though A is older
    CHECK(l.check("x", "B", later + 3s).failures == 0);
    fail_n(l, "u", "A", later + 4s, 5);
    CHECK(l.check("x", "A", later + 4s).until == later + 4s + 30min);  // still doubles
  }
  SECTION("a lock in force is never evicted") {
    fail_n(l, "u", "A", t0, 5);
    for (int i = 0; i < 100; ++i) l.record_failure("u", "F" + std::to_string(i), t0 + 1s);
    CHECK(l.check("x", "A", t0 + 1min).locked);
    CHECK(l.size().source == 3);
  }
  SECTION("a table full of locks: new keys are untracked, the locks stay") {
    fail_n(l, "u", "A", t0, 5);
    fail_n(l, "u", "B", t0, 5);
    fail_n(l, "u", "C", t0, 5);
    lockout_verdict v;
    for (int i = 0; i < 10; ++i) v = l.record_failure("u", "D", t0 + 1s);
    CHECK(v.untracked);
    CHECK(v.of(lock_key::source).untracked);
    CHECK_FALSE(v.locked);
    CHECK(l.counters().untracked >= 10);
    for (const char* s : {"A", "B", "C"}) CHECK(l.check("x", s, t0 + 1min).locked);
    CHECK(l.size().source == 3);
    // Locks end by themselves, and the room comes back.
    const auto after = t0 + 15min;
    const auto w = l.record_failure("u", "D", after);
    CHECK_FALSE(w.untracked);
    CHECK(w.of(lock_key::source).failures == 1);
  }
}

TEST_CASE("lockout: prune keeps locks and backoff, drops the rest", "[policy]") {
  lockout l(source_at_failures());
  fail_n(l, "alice", "10.0.0.1", t0, 5);
  l.record_failure("bob", "10.0.0.2", t0);
  CHECK(l.size().source == 2);
  CHECK(l.prune(t0 + 10min - 1ns) == 0);
  CHECK(l.prune(t0 + 10min) == 2);  // bob's source and pair keys
  CHECK(l.size().source == 1);
  CHECK(l.prune(t0 + 15min + 24h - 1ns) == 0);  // alice's backoff is remembered
  CHECK(l.prune(t0 + 15min + 24h) == 2);
  CHECK(l.size().source == 0);
  CHECK(l.size().user_source == 0);
}

TEST_CASE("lockout: 8 threads at once", "[policy]") {
  lockout_config c;
  c.max_entries = 512;
  c.user_failures = 1000;
  lockout l(c);
  constexpr int threads = 8;
  constexpr int rounds = 4000;
  std::atomic<int> pair_triggers{0};
  std::atomic<int> source_triggers{0};
  std::atomic<bool> too_big{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      for (int i = 0; i < rounds; ++i) {
        const auto now = t0 + 1ms * i;
        // Everyone hammers one key: it must lock exactly once.
        const auto v = l.record_failure("alice", "10.9.9.9", t0);
        if (v.of(lock_key::user_source).triggered) ++pair_triggers;
        if (v.of(lock_key::source).triggered) ++source_triggers;
        // And floods its own keys, with checks, successes and prunes mixed in.
        const auto mine = "t" + std::to_string(t) + "-" + std::to_string(rng() % 2000);
        attempt(l, mine, mine, now);
        if (i % 7 == 0) l.record_success(mine, mine, now);
        if (i % 500 == 0) l.prune(now);
        const auto s = l.size();
        if (s.source > 512 || s.user_source > 512 || s.user > 512) too_big = true;
      }
    });
  }
  for (auto& th : pool) th.join();
  CHECK(pair_triggers == 1);
  CHECK(source_triggers == 1);
  CHECK_FALSE(too_big);
  CHECK(l.check("alice", "10.9.9.9", t0 + 1min).locked);
  CHECK_FALSE(l.check("alice", "10.9.9.8", t0 + 1min).locked);
}

TEST_CASE("lock_key names for the audit", "[policy]") {
  CHECK(to_string(lock_key::none) == "none");
  CHECK(to_string(lock_key::source) == "source");
  CHECK(to_string(lock_key::user_source) == "user_source");
  CHECK(to_string(lock_key::user) == "user");
}
