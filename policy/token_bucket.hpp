// token_bucket.hpp — rate limits: one bucket, a shared one, and one bucket per source.
//
// Nothing here reads a clock: every call takes `now` (a steady_clock time point the
// caller read), so tests drive time by hand. No I/O; never blocks beyond a short mutex.
//
// A bucket holds up to `burst` tokens, starts full, and gains `tokens` every `per`;
// taking a token is allowed when one is there. Arithmetic is in exact integers (a token
// costs per/g credit and a nanosecond earns tokens/g, g = gcd(tokens, per in ns)), so
// after a drained bucket the k-th token is there exactly at ceil(k·per/tokens), never a
// nanosecond early, and a million calls drift by nothing. Time is handled defensively:
//   - `now` earlier than a time already seen (another thread read the clock first, or a
//     test went back) adds nothing and is not remembered: no refill, no double refill;
//   - a gap of any length fills the bucket to `burst` and no further;
//   - tokens == 0 never refills: the burst is all there ever is.
//
// Thread use: token_bucket is a plain value for one owner (not thread-safe).
// shared_token_bucket and keyed_token_buckets may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "policy/address.hpp"

namespace vncgate::policy {

using steady_time = std::chrono::steady_clock::time_point;

struct rate_limit {
  std::uint64_t tokens = 1;                             // added every `per`; 0: never
  std::chrono::nanoseconds per = std::chrono::seconds(1);
  std::uint64_t burst = 1;                              // capacity, at least 1
};

// Empty when the limit is usable; otherwise one sentence for a config error. Refused:
// burst 0 (it would refuse everything: that is a deny rule's job), per <= 0, tokens
// above one per nanosecond, and burst × per/tokens too large for exact 63-bit
// arithmetic (a burst of about 100,000 for a one-per-day rate; a per-minute rate
// allows bursts above a hundred million).
std::string check(const rate_limit& limit);

namespace detail {

// The limit in integer credit units: one token costs `cost`, each nanosecond earns `earn`.
struct bucket_rule {
  std::int64_t cost = 1;
  std::int64_t earn = 0;
  std::int64_t capacity = 1;  // burst * cost
  explicit bucket_rule(const rate_limit& limit);  // throws std::invalid_argument (see check)
};

// 16 bytes: what keyed_token_buckets keeps per source.
struct bucket_state {
  std::int64_t credit = 0;
  steady_time last = steady_time::min();  // latest `now` seen; min: none yet
};

std::int64_t credit_at(const bucket_rule& rule, const bucket_state& state, steady_time now) noexcept;
bool take(const bucket_rule& rule, bucket_state& state, steady_time now) noexcept;

}  // namespace detail

class token_bucket {
 public:
  // Throws std::invalid_argument with check()'s sentence when the limit is unusable: a
  // config error, validated at load time, never something a peer can cause.
  explicit token_bucket(const rate_limit& limit);

  bool try_take(steady_time now) noexcept;
  std::uint64_t available(steady_time now) const noexcept;  // whole tokens at `now`
  bool full(steady_time now) const noexcept;

 private:
  detail::bucket_rule rule_;
  detail::bucket_state state_;
};

// One token_bucket behind a mutex, for a limit shared by all I/O threads (the global
// connection rate). Any thread may call.
class shared_token_bucket {
 public:
  explicit shared_token_bucket(const rate_limit& limit) : bucket_(limit) {}
  bool try_take(steady_time now) noexcept;

 private:
  std::mutex mutex_;
  token_bucket bucket_;
};

struct keyed_rate_limit {
  rate_limit rate;
  std::size_t max_entries = 100'000;  // sources tracked at once, at least 1
  // Sources that share this many leading bits share one bucket. Per IPv6 address would
  // be no limit at all: one host commonly holds a whole /64.
  unsigned v4_prefix = 32;
  unsigned v6_prefix = 64;
};

// check() for the rate plus the table's own fields.
std::string check(const keyed_rate_limit& limit);

// One bucket per source (address masked to v4_prefix / v6_prefix), in a bounded table.
// Any thread may call: a large table is split into up to 16 shards by a seeded hash of
// the key, each with its own mutex and an exact share of max_entries, so threads rarely
// wait for one another; a table of fewer than 512 entries is one shard.
//
// A missing entry is a full bucket, so entries that are full again (idle) can be
// dropped at any time without changing a decision: prune() does that periodically,
// and a full shard does it before anything else.
//
// When a shard is full and none of its entries is idle, the entry closest to full is
// dropped and the newcomer is served (take_result::evicted). That fails open for the
// dropped source, which at worst gets its burst back early. Failing closed (refusing
// new sources) would let anyone holding enough addresses fill the table and lock every
// new client out; the global shared_token_bucket still bounds the total, and the
// eviction count shows such an attack. A random seed keeps an attacker from aiming
// keys at one shard to cause evictions with fewer addresses than max_entries.
class keyed_token_buckets {
 public:
  struct take_result {
    bool granted = false;
    bool evicted = false;  // another source's (non-idle) bucket was dropped to make room
  };

  // Throws std::invalid_argument with check()'s sentence when the limit is unusable.
  explicit keyed_token_buckets(const keyed_rate_limit& limit, std::uint64_t seed = 0);
  ~keyed_token_buckets();

  take_result try_take(const address& source, steady_time now);
  // Drops the entries that are full at `now`; returns how many.
  std::size_t prune(steady_time now);
  std::size_t size() const;
  // The key a source is counted under, e.g. 2001:db8:1:2:: for any address in that /64.
  address key_of(const address& source) const noexcept;

 private:
  struct shard;
  std::size_t shard_of(const address& key) const noexcept;

  detail::bucket_rule rule_;
  unsigned v4_prefix_;
  unsigned v6_prefix_;
  std::uint64_t seed_;
  std::size_t shard_count_;
  std::unique_ptr<shard[]> shards_;
};

}  // namespace vncgate::policy
