// session_caps.hpp — caps on concurrent sessions: global, per user, per target.
//
// Pure bookkeeping, std only, no clock. Thread-safe: any thread may acquire, and a slot
// may be released (destroyed) on any thread, including one other than the thread that
// acquired it. Each call takes one short mutex; nothing blocks otherwise.
//
// try_acquire either takes a place under every cap at once or takes nothing, and says
// which cap refused (checked in this order: global, user, target; the first full one
// is reported, for the audit). The place is held by the returned `session_slot`, which
// gives it back when destroyed (or on release()); it is movable, not copyable, and a
// moved-from slot holds nothing. The gateway keeps the slot in the session until the
// session ends, so no path can leak a place.
//
// Slots share ownership of the counters with the session_caps that issued them, so a
// slot may outlive it (at shutdown, for one). Counters never go below zero: a slot
// gives its place back exactly once.
//
// A limit of 0 means unlimited. `target_limits` overrides `per_target` for the targets
// it names (0 there = unlimited for that target). reconfigure() applies to the next
// try_acquire only: sessions already running are kept even when they are now over a
// cap, and new ones are refused until the count falls below it.
//
// Memory: one counter per user and per target that has a session open at this moment;
// counters that reach zero are removed.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace vncgate::policy {

struct session_limits {
  std::size_t global = 0;      // 0 = unlimited
  std::size_t per_user = 0;    // 0 = unlimited
  std::size_t per_target = 0;  // 0 = unlimited
  std::map<std::string, std::size_t, std::less<>> target_limits;  // per target name
};

enum class session_cap { none, global, user, target };
std::string_view to_string(session_cap c) noexcept;  // "none", "global", "user", "target"

class session_caps;

class session_slot {
 public:
  session_slot(session_slot&& other) noexcept;
  session_slot& operator=(session_slot&& other) noexcept;  // gives back its own place first
  session_slot(const session_slot&) = delete;
  session_slot& operator=(const session_slot&) = delete;
  ~session_slot();

  void release() noexcept;     // gives the place back now; then holds nothing
  bool held() const noexcept;  // false once released or moved from
  const std::string& user() const noexcept { return user_; }
  const std::string& target() const noexcept { return target_; }

 private:
  friend class session_caps;
  struct counters;
  session_slot(std::shared_ptr<counters> owner, std::string user, std::string target);

  std::shared_ptr<counters> owner_;
  std::string user_;
  std::string target_;
};

struct session_counts {
  std::size_t sessions = 0;  // open now, all users and targets
  std::size_t users = 0;     // distinct users with a session open
  std::size_t targets = 0;   // distinct targets with a session open
};

class session_caps {
 public:
  struct acquired {
    std::optional<session_slot> slot;      // empty when refused
    session_cap refused = session_cap::none;
  };

  explicit session_caps(session_limits limits = {});

  acquired try_acquire(std::string_view user, std::string_view target);
  void reconfigure(session_limits limits);
  session_limits limits() const;

  session_counts counts() const;
  std::size_t user_sessions(std::string_view user) const;
  std::size_t target_sessions(std::string_view target) const;

 private:
  std::shared_ptr<session_slot::counters> counters_;
};

}  // namespace vncgate::policy
