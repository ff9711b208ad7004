// token_bucket.cpp — exact-integer token buckets (see token_bucket.hpp).
#include "policy/token_bucket.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>
#include <stdexcept>

namespace vncgate::policy {

namespace {

constexpr auto int64_max = std::numeric_limits<std::int64_t>::max();
// Small tables get one shard (and so an exact least-harm eviction order); large ones
// up to 16, enough that N I/O threads rarely meet on one mutex.
constexpr std::size_t most_shards = 16;
constexpr std::size_t entries_per_shard = 256;

std::uint64_t ticks(steady_time t) noexcept {
  // Two's complement difference of these is exact for any later - earlier pair.
  return static_cast<std::uint64_t>(t.time_since_epoch().count());
}

// splitmix64's finaliser: every input bit moves about half the output bits.
std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

std::string check(const rate_limit& limit) {
  if (limit.burst == 0) {
    return "burst must be at least 1 (to refuse every connection, use a deny rule)";
  }
  if (limit.per.count() <= 0) return "the rate's period must be longer than zero";
  const auto per = static_cast<std::uint64_t>(limit.per.count());
  if (limit.tokens > per) return "the rate cannot exceed one token per nanosecond";
  const std::uint64_t cost = limit.tokens == 0 ? 1 : per / std::gcd(limit.tokens, per);
  if (limit.burst > static_cast<std::uint64_t>(int64_max) / cost) {
    return "burst is too large for this rate: use a shorter period or a smaller burst";
  }
  return {};
}

std::string check(const keyed_rate_limit& limit) {
  if (auto problem = check(limit.rate); !problem.empty()) return problem;
  if (limit.max_entries == 0) return "the number of tracked sources must be at least 1";
  if (limit.v4_prefix > 32) return "the IPv4 key prefix must be from 0 to 32";
  if (limit.v6_prefix > 128) return "the IPv6 key prefix must be from 0 to 128";
  return {};
}

namespace detail {

bucket_rule::bucket_rule(const rate_limit& limit) {
  if (auto problem = check(limit); !problem.empty()) throw std::invalid_argument(problem);
  // Credit is counted in tokens × nanoseconds, scaled down by gcd(tokens, per): a token
  // costs per/g and a nanosecond earns tokens/g, both integers, so nothing rounds.
  if (limit.tokens == 0) {
    cost = 1;
    earn = 0;
  } else {
    const auto per = static_cast<std::uint64_t>(limit.per.count());
    const auto g = std::gcd(limit.tokens, per);
    cost = static_cast<std::int64_t>(per / g);
    earn = static_cast<std::int64_t>(limit.tokens / g);
  }
  capacity = static_cast<std::int64_t>(limit.burst) * cost;
}

std::int64_t credit_at(const bucket_rule& rule, const bucket_state& state,
                       steady_time now) noexcept {
  if (state.credit >= rule.capacity || rule.earn == 0) return state.credit;
  if (state.last == steady_time::min() || now <= state.last) return state.credit;
  const std::uint64_t elapsed = ticks(now) - ticks(state.last);
  const auto need = static_cast<std::uint64_t>(rule.capacity - state.credit);
  const auto earn = static_cast<std::uint64_t>(rule.earn);
  // Compared by division first so that a gap of centuries cannot overflow the product:
  // past need/earn nanoseconds the bucket is full whatever the exact gap.
  if (elapsed > need / earn) return rule.capacity;
  return state.credit + static_cast<std::int64_t>(elapsed * earn);
}

bool take(const bucket_rule& rule, bucket_state& state, steady_time now) noexcept {
  state.credit = credit_at(rule, state, now);
  // Only a later `now` moves `last`: an earlier one must not make the next call
  // count the same stretch of time twice.
  if (state.last == steady_time::min() || now > state.last) state.last = now;
  if (state.credit < rule.cost) return false;
  state.credit -= rule.cost;
  return true;
}

}  // namespace detail

token_bucket::token_bucket(const rate_limit& limit) : rule_(limit) {
  state_.credit = rule_.capacity;
}

bool token_bucket::try_take(steady_time now) noexcept { return detail::take(rule_, state_, now); }

std::uint64_t token_bucket::available(steady_time now) const noexcept {
  return static_cast<std::uint64_t>(detail::credit_at(rule_, state_, now) / rule_.cost);
}

bool token_bucket::full(steady_time now) const noexcept {
  return detail::credit_at(rule_, state_, now) >= rule_.capacity;
}

bool shared_token_bucket::try_take(steady_time now) noexcept {
  std::lock_guard lock(mutex_);
  return bucket_.try_take(now);
}

// Cache-line aligned so that two threads locking neighbouring shards do not contend
// for the same line.
struct alignas(64) keyed_token_buckets::shard {
  mutable std::mutex mutex;
  std::map<address, detail::bucket_state> buckets;  // ordered: no hash-flooding worst case
  std::size_t capacity = 0;

  // Drops every idle entry; when there was none, the one closest to full instead.
  // Returns whether a non-idle entry had to go. One pass over at most `capacity`.
  bool make_room(const detail::bucket_rule& rule, steady_time now) {
    bool dropped_idle = false;
    auto closest = buckets.end();
    std::int64_t closest_credit = -1;
    for (auto it = buckets.begin(); it != buckets.end();) {
      const auto credit = detail::credit_at(rule, it->second, now);
      if (credit >= rule.capacity) {
        it = buckets.erase(it);
        dropped_idle = true;
        continue;
      }
      if (credit > closest_credit) closest = it, closest_credit = credit;
      ++it;
    }
    if (dropped_idle || closest == buckets.end()) return false;
    buckets.erase(closest);
    return true;
  }
};

keyed_token_buckets::keyed_token_buckets(const keyed_rate_limit& limit, std::uint64_t seed)
    : rule_([&] {
        if (auto problem = check(limit); !problem.empty()) throw std::invalid_argument(problem);
        return detail::bucket_rule(limit.rate);
      }()),
      v4_prefix_(limit.v4_prefix),
      v6_prefix_(limit.v6_prefix),
      seed_(seed),
      shard_count_(std::clamp<std::size_t>(limit.max_entries / entries_per_shard, 1, most_shards)),
      shards_(std::make_unique<shard[]>(shard_count_)) {
  // Split max_entries exactly, so the table never holds more than asked.
  for (std::size_t i = 0; i < shard_count_; ++i) {
    shards_[i].capacity = limit.max_entries / shard_count_ + (i < limit.max_entries % shard_count_);
  }
}

keyed_token_buckets::~keyed_token_buckets() = default;

address keyed_token_buckets::key_of(const address& source) const noexcept {
  return source.masked(source.is_v4() ? v4_prefix_ : v6_prefix_);
}

std::size_t keyed_token_buckets::shard_of(const address& key) const noexcept {
  std::uint64_t hi = 0, lo = 0;
  const auto& b = key.bytes();
  for (std::size_t i = 0; i < 8; ++i) hi = (hi << 8) | b[i];
  for (std::size_t i = 8; i < 16; ++i) lo = (lo << 8) | b[i];
  return mix(mix(seed_ ^ hi) ^ lo) % shard_count_;
}

keyed_token_buckets::take_result keyed_token_buckets::try_take(const address& source,
                                                               steady_time now) {
  const auto key = key_of(source);
  auto& s = shards_[shard_of(key)];
  std::lock_guard lock(s.mutex);
  take_result result;
  auto it = s.buckets.find(key);
  if (it == s.buckets.end()) {
    if (s.buckets.size() >= s.capacity) result.evicted = s.make_room(rule_, now);
    it = s.buckets.emplace(key, detail::bucket_state{rule_.capacity, steady_time::min()}).first;
  }
  result.granted = detail::take(rule_, it->second, now);
  return result;
}

std::size_t keyed_token_buckets::prune(steady_time now) {
  std::size_t dropped = 0;
  for (std::size_t i = 0; i < shard_count_; ++i) {
    auto& s = shards_[i];
    std::lock_guard lock(s.mutex);
    dropped += std::erase_if(s.buckets, [&](const auto& entry) {
      return detail::credit_at(rule_, entry.second, now) >= rule_.capacity;
    });
  }
  return dropped;
}

std::size_t keyed_token_buckets::size() const {
  std::size_t total = 0;
  for (std::size_t i = 0; i < shard_count_; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    total += shards_[i].buckets.size();
  }
  return total;
}

}  // namespace vncgate::policy
