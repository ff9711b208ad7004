// admission.hpp — the policy state the whole gateway shares: who may open a connection,
// how many are still in the handshake, failure lockout, session caps.
//
// One admission lives as long as the process (in `services`), shared by every worker
// thread, and survives reloads: reconfigure() applies a new policy section and keeps
// the counters, locks and open slots (a rate whose limit changed starts afresh). The
// decisions themselves are policy/'s; this class only holds the state and the order:
//   at accept: the global address rules, the listener's, the global connection rate,
//   the per-source rate, the handshake caps (global, per source). A granted connection
//   gets a handshake_ticket that holds its place under the caps until it authenticates
//   or ends.
// Thread-safe: any worker may call any member. Sources are counted per IPv4 address and
// per IPv6 /64 (one host commonly holds a whole /64).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>

#include "gateway/config.hpp"
#include "policy/address.hpp"
#include "policy/lockout.hpp"
#include "policy/session_caps.hpp"
#include "policy/token_bucket.hpp"
#include "rfb/expected.hpp"

namespace vncgate::gateway {

using steady_time = std::chrono::steady_clock::time_point;

// A connection's place under the handshake caps; gives it back when destroyed or
// released. Movable; may outlive the admission that issued it.
class handshake_ticket {
 public:
  struct counters;
  handshake_ticket() = default;
  handshake_ticket(std::shared_ptr<counters> owner, policy::address key);
  handshake_ticket(handshake_ticket&& other) noexcept;
  handshake_ticket& operator=(handshake_ticket&& other) noexcept;
  handshake_ticket(const handshake_ticket&) = delete;
  handshake_ticket& operator=(const handshake_ticket&) = delete;
  ~handshake_ticket();
  void release() noexcept;

 private:
  std::shared_ptr<counters> owner_;
  policy::address key_;
};

struct connection_refusal {
  std::string reason;  // audit word: address_denied, rate_limited, too_many_handshakes
  std::string detail;  // which rule or limit, for the audit and the log
};

class admission {
 public:
  explicit admission(const policy_config& p);
  ~admission();
  admission(const admission&) = delete;
  admission& operator=(const admission&) = delete;

  void reconfigure(const policy_config& p);

  // The checks at accept, in the order above; `p` is the policy the connection's worker
  // runs under (the same as the last reconfigure, except during a reload).
  expected<handshake_ticket, connection_refusal> admit(const policy::address& peer, const listener_config& l,
                                                       const policy_config& p, steady_time now);

  // The text lockout keys use for a source: the address, IPv6 masked to its /64.
  static std::string source_key(const policy::address& peer);

  policy::lockout& lockout() noexcept { return lockout_; }
  policy::session_caps& sessions() noexcept { return sessions_; }

  // Forgets idle rate buckets and expired lockout keys. Call now and then.
  void prune(steady_time now);

  // The gateway is draining (SIGTERM): connections still in their handshake may finish
  // it but start no session (session.cpp, authorize).
  void start_draining() noexcept { draining_.store(true, std::memory_order_relaxed); }
  bool draining() const noexcept { return draining_.load(std::memory_order_relaxed); }

 private:
  struct rates;
  std::shared_ptr<rates> current_rates() const;

  mutable std::mutex rates_mutex_;
  std::shared_ptr<rates> rates_;  // swapped by reconfigure, copied by admit
  std::shared_ptr<handshake_ticket::counters> handshakes_;
  policy::lockout lockout_;
  policy::session_caps sessions_;
  std::atomic<bool> draining_{false};
};

}  // namespace vncgate::gateway
