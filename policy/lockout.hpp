// lockout.hpp — failure lockout with backoff, keyed so that nobody can lock a real
// user out from elsewhere.
//
// Pure decisions on values: no I/O, no clock of its own (every call is given `now`, a
// steady_clock time), std only. Thread-safe: any I/O thread may call any member at any
// time; each of the three tables is split into shards, each behind its own mutex, and
// no call holds two mutexes at once. Nothing blocks for longer than one shard's work.
//
// How the gateway uses it:
//   1. `check(user, source, now)` BEFORE authenticating. When `locked`, do not
//      authenticate: answer with the same generic failure as a wrong password, after the
//      same delay (tarpit), and say nothing about the lockout unless configured to;
//      audit the verdict.
//   2. after authenticating: `record_failure` (its verdict says whether this failure
//      started a lockout, for the audit) or `record_success`.
//   `user` is the name as the client sent it (it may name nobody), `source` the
//   normalised source address text. For IPv6 pass the /64 prefix, not the full address:
//   one host owns a whole /64 and would otherwise get a fresh counter per address.
//
// Keys, each counted in its own table with its own threshold:
//   user_source  — failures for that user from that address (`failures`, default 5);
//   source       — every failure from that address, whatever user it names
//                  (`source_failures`, default 20): higher than `failures` because many
//                  people may share one NAT address, and a few of them mistyping their
//                  own passwords must not lock out everyone behind it; 0 turns it off;
//   user         — failures for that user from anywhere (`user_failures`); off unless
//                  set, because it is the one key an attacker elsewhere can use to lock
//                  a real user out.
// Brute force from A against alice locks (alice, A) after `failures`; guessing at many
// users from A locks `source` A after `source_failures`; alice from B is not locked
// (unless the per-user key is configured and exceeded). Thresholds must be 0 (off) or
// at least `failures` (invalid_reason).
//
// Counting: a sliding window. A key locks when its threshold of failures fall within
// `window` (a failure at t counts while now < t + window). The lock lasts `duration`,
// doubled at each further lockout of the same key, up to `max_duration`; a key that has
// seen no failure and no lock for `backoff_reset` starts again at `duration`. A key is locked
// while now < until: at `until` exactly it is free. Failures that arrive for a key while
// it is locked (a race with a slower authentication) are not counted against it; its
// counter starts from zero when the lock ends, and a further lockout doubles.
//
// record_success clears the (user, source) key only, lock and backoff included: the
// person proved the password from that address. It does NOT clear the source key: an
// attacker who owns one valid account would otherwise log in with it between guesses
// against other accounts and keep the source counter at zero for ever. It does not
// clear the per-user key either: a login from one place says nothing about guesses
// coming from elsewhere.
//
// Memory is bounded: each table holds at most `max_entries` keys (split evenly across
// the shards, at least one per shard); user and source text longer than
// `max_key_bytes` is truncated (names that long share a counter, which only makes them
// stricter). A key that has no failure in its window, no lock and no backoff to
// remember is expired and may go at any time (`prune`, or when room is needed). When a
// shard is full and a new key arrives: expired keys go first, then the unlocked key
// that would expire soonest (for plain counters, the oldest). A lock in force is never
// forgotten to make room: a flood of locked addresses must not free its members or
// anyone else from their locks. When a shard holds nothing but locks, the new key is
// not tracked: its failure is not counted and the verdict says `untracked`, so the
// gateway audits it and counts it (it may still tarpit). We fail open there on purpose:
// failing closed would let a flood lock out every new legitimate address, which is
// exactly what the keying is there to prevent; the connection rate limits still bound
// what an untracked address can try. Locks end by themselves, so the room comes back.
//
// reconfigure() applies new limits to the next decisions and keeps every counter, lock
// and backoff level; a lock in force keeps its end. A smaller table size evicts at once
// (by the same rule, locks excepted). `failures: 0` turns lockout off, every key
// included (check never locks, failures are not counted); the counters kept still
// expire. A threshold lowered below a key's count applies from its next failure.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>

namespace vncgate::policy {

struct lockout_config {
  std::uint32_t failures = 5;                        // per (user, source); 0 = all keys off
  std::uint32_t source_failures = 20;                // per source, any user; 0 = this key off
  std::chrono::seconds window{std::chrono::minutes(10)};
  std::chrono::seconds duration{std::chrono::minutes(15)};
  std::chrono::seconds max_duration{std::chrono::hours(24)};  // backoff cap
  std::chrono::seconds backoff_reset{std::chrono::hours(24)}; // quiet period that resets backoff
  std::uint32_t user_failures = 0;                   // per user from anywhere; 0 = off
  std::size_t max_entries = 65536;                   // per table
  std::size_t max_key_bytes = 256;                   // per user name and per source text

  // Empty when the values make sense; otherwise why not (for the config loader, which
  // adds file:line:col). The table itself clamps whatever it is given.
  std::string_view invalid_reason() const noexcept;
};

enum class lock_key { none, source, user_source, user };
std::string_view to_string(lock_key k) noexcept;  // "none", "source", "user_source", "user"

struct lockout_verdict {
  using time_point = std::chrono::steady_clock::time_point;

  struct key_state {
    bool locked = false;
    bool triggered = false;      // record_failure: this very failure started the lock
    bool untracked = false;      // no room in its table (see the contract above)
    time_point until{};          // when locked: the lock ends at this instant
    std::uint32_t failures = 0;  // locked: the failures that led to the lock; else in window
    std::uint32_t lockouts = 0;  // backoff level: lockouts in a row (1 = first)
  };

  bool locked = false;
  lock_key key = lock_key::none;  // the lock reported: one this failure started if any,
                                  // else the one that ends last
  time_point until{};
  std::uint32_t failures = 0;     // locked: that lock's failures; else the most failures
                                  // the source or (user, source) key holds in window
  bool triggered = false;         // this failure started the lock reported in `key`
  bool untracked = false;         // some key could not be tracked (table full of locks)
  std::array<key_state, 3> keys{};  // every key, for the audit: see of()

  const key_state& of(lock_key k) const noexcept;  // k != none
};

class lockout {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  struct sizes {
    std::size_t source = 0;
    std::size_t user_source = 0;
    std::size_t user = 0;
  };
  struct stats {
    std::uint64_t evicted = 0;    // unlocked keys dropped to make room before expiring
    std::uint64_t untracked = 0;  // failures not counted: table full of locks
  };

  explicit lockout(const lockout_config& config = {}, std::size_t shards_per_table = 16);
  ~lockout();
  lockout(const lockout&) = delete;
  lockout& operator=(const lockout&) = delete;

  lockout_verdict check(std::string_view user, std::string_view source, time_point now) const;
  lockout_verdict record_failure(std::string_view user, std::string_view source,
                                 time_point now);
  void record_success(std::string_view user, std::string_view source, time_point now);

  // Drops expired keys; returns how many. Call now and then (e.g. once a minute).
  std::size_t prune(time_point now);
  void reconfigure(const lockout_config& config);
  lockout_config config() const;

  sizes size() const;  // keys held per table (expired ones included until pruned)
  stats counters() const;

 private:
  class table;
  std::unique_ptr<table> sources_;
  std::unique_ptr<table> pairs_;
  std::unique_ptr<table> users_;
  std::atomic<std::size_t> max_key_bytes_;
  mutable std::mutex config_mutex_;  // guards config_, kept only for config()
  lockout_config config_;
};

}  // namespace vncgate::policy
