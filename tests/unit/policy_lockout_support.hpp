// policy_lockout_support.hpp — what the policy_lockout_*_test.cpp files share: a start
// time far from the clock's epoch, the gateway's check-then-fail step, and a config
// whose source key locks as early as the (user, source) key.
//
// Header-only on purpose: tests/CMakeLists.txt builds each *_test.cpp alone, so there is
// no second translation unit to put definitions in. Each binary includes this once.
#pragma once

#include <chrono>
#include <string_view>

#include "policy/lockout.hpp"

namespace vncgate::policy::tests {

using namespace std::chrono_literals;
using time_point = lockout::time_point;

// Far from the clock's epoch, so that no test leans on time_point{}.
inline const time_point t0 = time_point{} + 1000h;

// What the gateway does: check first, and authenticate (here: fail) only when not locked.
inline lockout_verdict attempt(lockout& l, std::string_view user, std::string_view source,
                               time_point now) {
  const auto v = l.check(user, source, now);
  if (v.locked) return v;
  return l.record_failure(user, source, now);
}

// `c` with the source key locking at the same threshold as the (user, source) key, for
// the tests that watch both keys (it locks at source_failures, 20, by default).
inline lockout_config source_at_failures(lockout_config c = {}) {
  c.source_failures = c.failures;
  return c;
}

inline void fail_n(lockout& l, std::string_view user, std::string_view source, time_point now,
                   int n) {
  for (int i = 0; i < n; ++i) l.record_failure(user, source, now);
}

}  // namespace vncgate::policy::tests
