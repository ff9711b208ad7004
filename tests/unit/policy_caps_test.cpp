// policy_caps_test.cpp — caps on concurrent sessions.
#include <catch2/catch.hpp>

#include <atomic>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "policy/session_caps.hpp"

using namespace vncgate::policy;

namespace {

session_slot take(session_caps& caps, std::string_view user, std::string_view target) {
  auto got = caps.try_acquire(user, target);
  REQUIRE(got.refused == session_cap::none);
  REQUIRE(got.slot);
  return std::move(*got.slot);
}

session_cap refusal(session_caps& caps, std::string_view user, std::string_view target) {
  auto got = caps.try_acquire(user, target);
  CHECK(got.slot.has_value() == (got.refused == session_cap::none));
  return got.refused;
}

}  // namespace

TEST_CASE("session caps: the global cap", "[policy]") {
  const std::size_t limit = GENERATE(1u, 2u, 5u);
  session_caps caps({limit, 0, 0, {}});
  std::vector<session_slot> held;
  for (std::size_t i = 0; i < limit; ++i) {
    held.push_back(take(caps, "u" + std::to_string(i), "t" + std::to_string(i)));
  }
  CHECK(refusal(caps, "someone-else", "other") == session_cap::global);
  CHECK(caps.counts().sessions == limit);  // a refusal takes nothing
  held.pop_back();
  CHECK(refusal(caps, "someone-else", "other") == session_cap::none);  // freed and retaken
  CHECK(caps.counts().sessions == limit - 1);
}

TEST_CASE("session caps: per user and per target", "[policy]") {
  session_caps caps({0, 2, 3, {}});
  auto a1 = take(caps, "alice", "design");
  auto a2 = take(caps, "alice", "build");
  CHECK(refusal(caps, "alice", "kiosk") == session_cap::user);
  CHECK(caps.user_sessions("alice") == 2);

  auto b1 = take(caps, "bob", "design");
  auto c1 = take(caps, "carol", "design");  // design: 3
  CHECK(refusal(caps, "dave", "design") == session_cap::target);
  CHECK(caps.target_sessions("design") == 3);
  auto d1 = take(caps, "dave", "build");

  const auto n = caps.counts();
  CHECK(n.sessions == 5);
  CHECK(n.users == 4);
  CHECK(n.targets == 2);
  CHECK(caps.user_sessions("nobody") == 0);
  CHECK(caps.target_sessions("nowhere") == 0);
}

TEST_CASE("session caps: per-target overrides and unlimited", "[policy]") {
  session_limits limits;
  limits.per_target = 2;
  limits.target_limits = {{"exclusive", 1}, {"wall", 0}};
  session_caps caps(limits);
  auto x = take(caps, "alice", "exclusive");
  CHECK(refusal(caps, "bob", "exclusive") == session_cap::target);

  std::vector<session_slot> wall;
  for (int i = 0; i < 1000; ++i) wall.push_back(take(caps, "u" + std::to_string(i), "wall"));
  auto o1 = take(caps, "a", "other");
  auto o2 = take(caps, "b", "other");
  CHECK(refusal(caps, "c", "other") == session_cap::target);

  session_caps unlimited;
  std::vector<session_slot> many;
  for (int i = 0; i < 1000; ++i) many.push_back(take(unlimited, "alice", "design"));
  CHECK(unlimited.counts().sessions == 1000);
}

TEST_CASE("session caps: the first full cap is reported, in order global, user, target",
          "[policy]") {
  session_caps caps({2, 1, 1, {}});
  auto a = take(caps, "alice", "design");
  CHECK(refusal(caps, "alice", "design") == session_cap::user);  // user and target full
  CHECK(refusal(caps, "bob", "design") == session_cap::target);
  auto b = take(caps, "bob", "build");
  CHECK(refusal(caps, "alice", "design") == session_cap::global);  // all three full
  CHECK(to_string(session_cap::none) == "none");
  CHECK(to_string(session_cap::global) == "global");
  CHECK(to_string(session_cap::user) == "user");
  CHECK(to_string(session_cap::target) == "target");
}

TEST_CASE("session caps: slots give their place back exactly once", "[policy]") {
  session_caps caps({1, 0, 0, {}});
  {
    auto s = take(caps, "alice", "design");
    CHECK(s.held());
    CHECK(s.user() == "alice");
    CHECK(s.target() == "design");
    CHECK(refusal(caps, "bob", "design") == session_cap::global);
  }
  CHECK(caps.counts().sessions == 0);
  CHECK(caps.counts().users == 0);    // counters at zero are dropped
  CHECK(caps.counts().targets == 0);

  auto s = take(caps, "alice", "design");
  s.release();
  CHECK_FALSE(s.held());
  CHECK(caps.counts().sessions == 0);
  s.release();  // again: nothing
  CHECK(caps.counts().sessions == 0);
  auto t = take(caps, "bob", "design");  // the place is free
  CHECK(caps.counts().sessions == 1);
}

TEST_CASE("session caps: move semantics", "[policy]") {
  session_caps caps({2, 0, 0, {}});
  auto a = take(caps, "alice", "design");

  session_slot moved(std::move(a));
  CHECK(moved.held());
  CHECK_FALSE(a.held());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  CHECK(caps.counts().sessions == 1);
  a.release();            // a moved-from slot gives nothing back
  CHECK(caps.counts().sessions == 1);

  auto b = take(caps, "bob", "build");
  CHECK(caps.counts().sessions == 2);
  moved = std::move(b);   // moved's own place (alice) is given back first
  CHECK(caps.counts().sessions == 1);
  CHECK(caps.user_sessions("alice") == 0);
  CHECK(moved.user() == "bob");

  auto& same = moved;
  moved = std::move(same);  // self-move keeps the place
  CHECK(moved.held());
  CHECK(caps.counts().sessions == 1);

  std::vector<session_slot> grow;  // reallocation moves slots around
  grow.push_back(std::move(moved));
  grow.push_back(take(caps, "c", "t"));
  CHECK(caps.counts().sessions == 2);
  grow.clear();
  CHECK(caps.counts().sessions == 0);

  std::optional<session_slot> kept = take(caps, "alice", "design");
  kept.reset();
  CHECK(caps.counts().sessions == 0);
}

TEST_CASE("session caps: a slot may outlive the caps that issued it", "[policy]") {
  std::optional<session_slot> s;
  {
    session_caps caps({1, 0, 0, {}});
    s = take(caps, "alice", "design");
  }
  CHECK(s->held());
  s.reset();  // no crash, no leak (ASan checks)
}

TEST_CASE("session caps: reconfigure applies to new sessions only", "[policy]") {
  session_caps caps({0, 3, 0, {}});
  std::vector<session_slot> held;
  for (int i = 0; i < 3; ++i) held.push_back(take(caps, "alice", "design"));

  caps.reconfigure({0, 1, 0, {}});
  CHECK(caps.limits().per_user == 1);
  CHECK(caps.user_sessions("alice") == 3);  // kept, though over the new cap
  CHECK(refusal(caps, "alice", "design") == session_cap::user);
  held.pop_back();
  CHECK(refusal(caps, "alice", "design") == session_cap::user);  // 2 is still over 1
  held.pop_back();
  CHECK(refusal(caps, "alice", "design") == session_cap::user);  // 1 is the cap
  held.pop_back();
  auto again = take(caps, "alice", "design");

  caps.reconfigure({});  // unlimited
  auto more = take(caps, "alice", "design");
  CHECK(caps.user_sessions("alice") == 2);
}

TEST_CASE("session caps: many threads never exceed a cap", "[policy]") {
  constexpr std::size_t global = 6;
  constexpr std::size_t per_user = 2;
  constexpr std::size_t per_target = 3;
  session_caps caps({global, per_user, per_target, {}});
  const std::vector<std::string> users{"alice", "bob", "carol", "dave", "erin"};
  const std::vector<std::string> targets{"t0", "t1", "t2", "t3"};

  // Our own count of the places in use, updated while a slot is held, so that it can
  // only ever be at or above the real one.
  std::atomic<std::size_t> in_use{0};
  std::atomic<std::size_t> most{0};
  std::atomic<bool> over{false};
  std::atomic<long> granted{0};
  // Slots handed to other threads, to be released there.
  std::mutex handoff_mutex;
  std::deque<session_slot> handoff;

  constexpr int threads = 16;
  constexpr int rounds = 3000;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < rounds; ++i) {
        const auto& u = users[static_cast<std::size_t>(t + i) % users.size()];
        const auto& g = targets[static_cast<std::size_t>(t * 7 + i) % targets.size()];
        auto got = caps.try_acquire(u, g);
        if (got.slot) {
          ++granted;
          const auto now = ++in_use;
          auto seen = most.load();
          while (now > seen && !most.compare_exchange_weak(seen, now)) {}
          if (caps.user_sessions(u) > per_user || caps.target_sessions(g) > per_target ||
              caps.counts().sessions > global) {
            over = true;
          }
          --in_use;
          if (i % 3 == 0) {
            std::lock_guard lock(handoff_mutex);
            handoff.push_back(std::move(*got.slot));
          }
        }
        if (i % 2 == 0) {
          std::optional<session_slot> theirs;
          {
            std::lock_guard lock(handoff_mutex);
            if (!handoff.empty()) {
              theirs.emplace(std::move(handoff.front()));
              handoff.pop_front();
            }
          }
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  CHECK_FALSE(over);
  CHECK(most <= global);
  CHECK(granted > 0);
  handoff.clear();
  const auto n = caps.counts();
  CHECK(n.sessions == 0);
  CHECK(n.users == 0);
  CHECK(n.targets == 0);
}
