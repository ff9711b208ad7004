// session_caps.cpp — caps on concurrent sessions (see session_caps.hpp).
#include "policy/session_caps.hpp"

#include <cassert>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace vncgate::policy {

namespace {

bool full(std::size_t count, std::size_t limit) { return limit != 0 && count >= limit; }

std::size_t count_of(const std::unordered_map<std::string, std::size_t>& m,
                     std::string_view key) {
  const auto it = m.find(std::string(key));
  return it == m.end() ? 0 : it->second;
}

void decrement(std::unordered_map<std::string, std::size_t>& m, const std::string& key) {
  const auto it = m.find(key);
  assert(it != m.end() && it->second > 0);
  if (it == m.end()) return;
  if (--it->second == 0) m.erase(it);
}

}  // namespace

// Shared by session_caps and every slot it issued.
struct session_slot::counters {
  mutable std::mutex mutex;
  session_limits limits;
  std::size_t sessions = 0;
  std::unordered_map<std::string, std::size_t> per_user;
  std::unordered_map<std::string, std::size_t> per_target;

  std::size_t target_limit(std::string_view target) const {
    const auto it = limits.target_limits.find(target);
    return it == limits.target_limits.end() ? limits.per_target : it->second;
  }

  void give_back(const std::string& user, const std::string& target) {
    std::lock_guard lock(mutex);
    assert(sessions > 0);
    if (sessions > 0) --sessions;
    decrement(per_user, user);
    decrement(per_target, target);
  }
};

session_slot::session_slot(std::shared_ptr<counters> owner, std::string user,
                           std::string target)
    : owner_(std::move(owner)), user_(std::move(user)), target_(std::move(target)) {}

session_slot::session_slot(session_slot&& other) noexcept
    : owner_(std::move(other.owner_)),
      user_(std::move(other.user_)),
      target_(std::move(other.target_)) {}

session_slot& session_slot::operator=(session_slot&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::move(other.owner_);
    user_ = std::move(other.user_);
    target_ = std::move(other.target_);
  }
  return *this;
}

session_slot::~session_slot() { release(); }

void session_slot::release() noexcept {
  // owner_ is what marks a held place: moving or releasing empties it, so a place is
  // given back exactly once.
  if (const auto owner = std::exchange(owner_, nullptr)) owner->give_back(user_, target_);
}

bool session_slot::held() const noexcept { return owner_ != nullptr; }

std::string_view to_string(session_cap c) noexcept {
  switch (c) {
    case session_cap::none: return "none";
    case session_cap::global: return "global";
    case session_cap::user: return "user";
    case session_cap::target: return "target";
  }
  return "unknown";
}

session_caps::session_caps(session_limits limits)
    : counters_(std::make_shared<session_slot::counters>()) {
  counters_->limits = std::move(limits);
}

session_caps::acquired session_caps::try_acquire(std::string_view user,
                                                 std::string_view target) {
  auto& c = *counters_;
  std::string u(user);
  std::string t(target);
  {
    std::lock_guard lock(c.mutex);
    if (full(c.sessions, c.limits.global)) return {std::nullopt, session_cap::global};
    if (full(count_of(c.per_user, u), c.limits.per_user)) return {std::nullopt, session_cap::user};
    if (full(count_of(c.per_target, t), c.target_limit(t))) {
      return {std::nullopt, session_cap::target};
    }
    ++c.sessions;
    ++c.per_user[u];
    ++c.per_target[t];
  }
  return {session_slot(counters_, std::move(u), std::move(t)), session_cap::none};
}

void session_caps::reconfigure(session_limits limits) {
  std::lock_guard lock(counters_->mutex);
  counters_->limits = std::move(limits);
}

session_limits session_caps::limits() const {
  std::lock_guard lock(counters_->mutex);
  return counters_->limits;
}

session_counts session_caps::counts() const {
  std::lock_guard lock(counters_->mutex);
  return {counters_->sessions, counters_->per_user.size(), counters_->per_target.size()};
}

std::size_t session_caps::user_sessions(std::string_view user) const {
  std::lock_guard lock(counters_->mutex);
  return count_of(counters_->per_user, user);
}

std::size_t session_caps::target_sessions(std::string_view target) const {
  std::lock_guard lock(counters_->mutex);
  return count_of(counters_->per_target, target);
}

}  // namespace vncgate::policy
