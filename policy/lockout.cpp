// lockout.cpp — failure lockout with backoff (see lockout.hpp).
#include "policy/lockout.hpp"

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace vncgate::policy {

namespace {

using time_point = std::chrono::steady_clock::time_point;
using seconds = std::chrono::seconds;
using key_state = lockout_verdict::key_state;

// Ten years: far beyond any sensible setting, and far from overflowing time_point.
constexpr seconds longest{std::chrono::hours(24 * 3650)};

seconds clamped(seconds s) { return std::clamp(s, seconds{0}, longest); }

// What one table needs from the configuration, copied into each shard so that a shard's
// decisions never mix two configurations.
struct key_params {
  std::uint32_t threshold = 0;  // 0: this key is off
  seconds window{};
  seconds duration{};
  seconds max_duration{};
  seconds backoff_reset{};
  std::size_t capacity = 1;  // keys per shard
};

key_params params_for(const lockout_config& c, std::uint32_t threshold, std::size_t shards) {
  key_params p;
  p.threshold = c.failures == 0 ? 0 : threshold;  // `failures: 0` turns every key off
  p.window = clamped(c.window);
  p.duration = clamped(c.duration);
  p.max_duration = std::max(clamped(c.max_duration), p.duration);
  p.backoff_reset = clamped(c.backoff_reset);
  p.capacity = std::max<std::size_t>(1, c.max_entries / shards);
  return p;
}

// duration * 2^(lockouts - 1), capped, without overflowing on the way.
seconds lock_length(const key_params& p, std::uint32_t lockouts) {
  seconds d = p.duration;
  for (std::uint32_t i = 1; i < lockouts && d > seconds{0} && d < p.max_duration; ++i) {
    d = d > p.max_duration / 2 ? p.max_duration : d * 2;
  }
  return std::min(d, p.max_duration);
}

std::string_view truncated(std::string_view s, std::size_t max_bytes) {
  return s.substr(0, std::min(s.size(), max_bytes));
}

}  // namespace

// One table of keys of one kind, sharded by key hash.
class lockout::table {
 public:
  explicit table(std::size_t shards) : shards_(std::max<std::size_t>(1, shards)) {}

  std::size_t shard_count() const { return shards_.size(); }

  void configure(const key_params& p) {
    for (auto& s : shards_) {
      std::lock_guard lock(s.mutex);
      s.params = p;
      for (auto it = s.entries.begin(); it != s.entries.end(); ++it) {
        auto& f = it->second.failures;
        if (p.threshold > 0 && f.size() > p.threshold) f.erase(f.begin(), f.end() - p.threshold);
        // The unlocked order depends on the window and the backoff reset: sort again.
        if (!it->second.in_locked) place(s, it, false);
      }
      while (s.entries.size() > p.capacity && !s.unlocked.empty()) evict_first_unlocked(s);
    }
  }

  key_state view(const std::string& key, time_point now) const {
    const auto& s = shard_for(key);
    std::lock_guard lock(s.mutex);
    if (s.params.threshold == 0) return {};
    const auto it = s.entries.find(key);
    if (it == s.entries.end()) return {};
    return state_of(s.params, it->second, now);
  }

  key_state fail(const std::string& key, time_point now) {
    auto& s = shard_for(key);
    std::lock_guard lock(s.mutex);
    const auto& p = s.params;
    if (p.threshold == 0) return {};
    auto it = s.entries.find(key);
    if (it == s.entries.end()) {
      if (!make_room(s, now)) {
        untracked_.fetch_add(1, std::memory_order_relaxed);
        key_state st;
        st.untracked = true;
        return st;
      }
      it = s.entries.try_emplace(key).first;
    }
    auto& e = it->second;
    // Locked already (this failure raced with the one that locked it): not counted.
    if (now < e.locked_until) return state_of(p, e, now);

    if (e.lockouts > 0 && now - e.quiet_since >= p.backoff_reset) e.lockouts = 0;
    auto& f = e.failures;
    f.erase(f.begin(), std::find_if(f.begin(), f.end(),
                                    [&](time_point t) { return t + p.window > now; }));
    // I/O threads may hand in times a hair out of order: keep the list sorted.
    f.insert(std::upper_bound(f.begin(), f.end(), now), now);
    if (f.size() > p.threshold) f.erase(f.begin(), f.end() - p.threshold);
    e.quiet_since = std::max(e.quiet_since, now);

    bool triggered = false;
    if (f.size() >= p.threshold) {
      if (e.lockouts < std::numeric_limits<std::uint32_t>::max()) ++e.lockouts;
      e.locked_until = now + lock_length(p, e.lockouts);
      e.lock_failures = static_cast<std::uint32_t>(f.size());
      f.clear();
      e.quiet_since = std::max(e.quiet_since, e.locked_until);
      triggered = now < e.locked_until;
    }
    place(s, it, now < e.locked_until);
    auto st = state_of(p, e, now);
    st.triggered = triggered;
    return st;
  }

  void clear(const std::string& key) {
    auto& s = shard_for(key);
    std::lock_guard lock(s.mutex);
    const auto it = s.entries.find(key);
    if (it != s.entries.end()) erase(s, it);
  }

  std::size_t prune(time_point now) {
    std::size_t n = 0;
    for (auto& s : shards_) {
      std::lock_guard lock(s.mutex);
      n += drop_expired(s, now);
    }
    return n;
  }

  std::size_t size() const {
    std::size_t n = 0;
    for (const auto& s : shards_) {
      std::lock_guard lock(s.mutex);
      n += s.entries.size();
    }
    return n;
  }

  std::uint64_t evicted() const { return evicted_.load(std::memory_order_relaxed); }
  std::uint64_t untracked() const { return untracked_.load(std::memory_order_relaxed); }

 private:
  // Ordered views of a shard's entries, pointing at the keys the hash map owns (node
  // keys never move).
  using index = std::multimap<time_point, const std::string*>;

  struct entry {
    std::vector<time_point> failures;  // within the window, oldest first, <= threshold
    time_point locked_until{};
    time_point quiet_since{};          // the later of the last failure and the last lock end
    std::uint32_t lock_failures = 0;
    std::uint32_t lockouts = 0;        // backoff level
    bool indexed = false;
    bool in_locked = false;
    index::iterator pos{};
  };

  struct shard {
    mutable std::mutex mutex;
    key_params params;
    std::unordered_map<std::string, entry> entries;
    index locked;    // locks in force (or ended, not yet moved), by end
    index unlocked;  // everything else, by when it expires
  };
  using entry_iterator = std::unordered_map<std::string, entry>::iterator;

  shard& shard_for(const std::string& key) {
    return shards_[std::hash<std::string>{}(key) % shards_.size()];
  }
  const shard& shard_for(const std::string& key) const {
    return shards_[std::hash<std::string>{}(key) % shards_.size()];
  }

  static std::uint32_t in_window(const key_params& p, const entry& e, time_point now) {
    return static_cast<std::uint32_t>(std::count_if(
        e.failures.begin(), e.failures.end(), [&](time_point t) { return t + p.window > now; }));
  }

  static key_state state_of(const key_params& p, const entry& e, time_point now) {
    key_state st;
    st.lockouts = e.lockouts;
    if (now < e.locked_until) {
      st.locked = true;
      st.until = e.locked_until;
      st.failures = e.lock_failures;
      return st;
    }
    if (e.lockouts > 0 && now - e.quiet_since >= p.backoff_reset) st.lockouts = 0;
    st.failures = in_window(p, e, now);
    return st;
  }

  // When the entry stops mattering: no failure left in the window, and no backoff left
  // to remember.
  static time_point expiry(const key_params& p, const entry& e) {
    auto t = e.failures.empty() ? time_point::min() : e.failures.back() + p.window;
    if (e.lockouts > 0) t = std::max(t, e.quiet_since + p.backoff_reset);
    return t;
  }

  static void unindex(shard& s, entry& e) {
    if (!e.indexed) return;
    (e.in_locked ? s.locked : s.unlocked).erase(e.pos);
    e.indexed = false;
  }

  static void place(shard& s, entry_iterator it, bool locked) {
    auto& e = it->second;
    unindex(s, e);
    e.in_locked = locked;
    e.pos = e.in_locked ? s.locked.emplace(e.locked_until, &it->first)
                        : s.unlocked.emplace(expiry(s.params, e), &it->first);
    e.indexed = true;
  }

  static void erase(shard& s, entry_iterator it) {
    unindex(s, it->second);
    s.entries.erase(it);
  }

  // Locks that have ended join the unlocked order.
  static void release_ended_locks(shard& s, time_point now) {
    while (!s.locked.empty() && s.locked.begin()->first <= now) {
      place(s, s.entries.find(*s.locked.begin()->second), false);
    }
  }

  static std::size_t drop_expired(shard& s, time_point now) {
    release_ended_locks(s, now);
    std::size_t n = 0;
    while (!s.unlocked.empty() && s.unlocked.begin()->first <= now) {
      erase(s, s.entries.find(*s.unlocked.begin()->second));
      ++n;
    }
    return n;
  }

  void evict_first_unlocked(shard& s) {
    erase(s, s.entries.find(*s.unlocked.begin()->second));
    evicted_.fetch_add(1, std::memory_order_relaxed);
  }

  // Room for one more key: expired keys first, then the unlocked key that expires
  // soonest; never a lock in force. False when only locks are left.
  bool make_room(shard& s, time_point now) {
    if (s.entries.size() < s.params.capacity) return true;
    drop_expired(s, now);
    while (s.entries.size() >= s.params.capacity) {
      if (s.unlocked.empty()) return false;
      evict_first_unlocked(s);
    }
    return true;
  }

  std::vector<shard> shards_;
  std::atomic<std::uint64_t> evicted_{0};
  std::atomic<std::uint64_t> untracked_{0};
};

std::string_view lockout_config::invalid_reason() const noexcept {
  if (window <= seconds{0}) return "lockout window must be longer than zero";
  if (duration <= seconds{0}) return "lockout duration must be longer than zero";
  if (max_duration < duration) return "lockout max_duration must not be shorter than duration";
  if (backoff_reset < seconds{0}) return "lockout backoff_reset must not be negative";
  if (window > longest || max_duration > longest || backoff_reset > longest) {
    return "lockout times must not exceed 3650 days";
  }
  if (source_failures != 0 && source_failures < failures) {
    return "lockout source_failures must be 0 (off) or at least failures";
  }
  if (user_failures != 0 && user_failures < failures) {
    return "lockout user_failures must be 0 (off) or at least failures";
  }
  if (max_entries == 0) return "lockout max_entries must be at least 1";
  if (max_key_bytes == 0) return "lockout max_key_bytes must be at least 1";
  return {};
}

std::string_view to_string(lock_key k) noexcept {
  switch (k) {
    case lock_key::none: return "none";
    case lock_key::source: return "source";
    case lock_key::user_source: return "user_source";
    case lock_key::user: return "user";
  }
  return "unknown";
}

const lockout_verdict::key_state& lockout_verdict::of(lock_key k) const noexcept {
  static const key_state nothing{};
  if (k == lock_key::none) return nothing;
  return keys[static_cast<std::size_t>(k) - 1];
}

namespace {

// The keys of one attempt, truncated and made unambiguous.
struct attempt_keys {
  std::string source;
  std::string pair;
  std::string user;
};

attempt_keys keys_for(std::string_view user, std::string_view source, std::size_t max_bytes) {
  const auto u = truncated(user, max_bytes);
  const auto s = truncated(source, max_bytes);
  attempt_keys k{std::string(s), std::to_string(u.size()), std::string(u)};
  // Length-prefixed, so ("a:b", "c") and ("a", "b:c") never share a key, whatever
  // bytes a user name holds.
  k.pair += ':';
  k.pair += u;
  k.pair += s;
  return k;
}

lockout_verdict summarise(const std::array<key_state, 3>& keys) {
  lockout_verdict v;
  v.keys = keys;
  // A lock this failure started is the news for the audit; otherwise the longest.
  constexpr std::array order{lock_key::user_source, lock_key::source, lock_key::user};
  for (const auto k : order) {
    const auto& st = v.of(k);
    v.untracked = v.untracked || st.untracked;
    if (!st.locked) continue;
    const bool better = !v.locked || (st.triggered && !v.triggered) ||
                        (st.triggered == v.triggered && st.until > v.until);
    if (!better) continue;
    v.locked = true;
    v.key = k;
    v.until = st.until;
    v.failures = st.failures;
    v.triggered = st.triggered;
  }
  if (!v.locked) {
    v.failures = std::max(v.of(lock_key::source).failures, v.of(lock_key::user_source).failures);
  }
  return v;
}

}  // namespace

lockout::lockout(const lockout_config& config, std::size_t shards_per_table)
    : sources_(std::make_unique<table>(shards_per_table)),
      pairs_(std::make_unique<table>(shards_per_table)),
      users_(std::make_unique<table>(shards_per_table)),
      max_key_bytes_(config.max_key_bytes) {
  reconfigure(config);
}

lockout::~lockout() = default;

void lockout::reconfigure(const lockout_config& config) {
  const auto n = sources_->shard_count();
  max_key_bytes_.store(std::max<std::size_t>(1, config.max_key_bytes));
  sources_->configure(params_for(config, config.source_failures, n));
  pairs_->configure(params_for(config, config.failures, n));
  users_->configure(params_for(config, config.user_failures, n));
  std::lock_guard lock(config_mutex_);
  config_ = config;
}

lockout_config lockout::config() const {
  std::lock_guard lock(config_mutex_);
  return config_;
}

lockout_verdict lockout::check(std::string_view user, std::string_view source,
                               time_point now) const {
  const auto k = keys_for(user, source, max_key_bytes_.load());
  return summarise({sources_->view(k.source, now), pairs_->view(k.pair, now),
                    users_->view(k.user, now)});
}

lockout_verdict lockout::record_failure(std::string_view user, std::string_view source,
                                        time_point now) {
  const auto k = keys_for(user, source, max_key_bytes_.load());
  // One table at a time: no call ever holds two shard mutexes.
  auto by_source = sources_->fail(k.source, now);
  auto by_pair = pairs_->fail(k.pair, now);
  auto by_user = users_->fail(k.user, now);
  return summarise({by_source, by_pair, by_user});
}

void lockout::record_success(std::string_view user, std::string_view source, time_point) {
  // Only (user, source): see the contract in lockout.hpp for why not the others.
  pairs_->clear(keys_for(user, source, max_key_bytes_.load()).pair);
}

std::size_t lockout::prune(time_point now) {
  return sources_->prune(now) + pairs_->prune(now) + users_->prune(now);
}

lockout::sizes lockout::size() const {
  return {sources_->size(), pairs_->size(), users_->size()};
}

lockout::stats lockout::counters() const {
  return {sources_->evicted() + pairs_->evicted() + users_->evicted(),
          sources_->untracked() + pairs_->untracked() + users_->untracked()};
}

}  // namespace vncgate::policy
