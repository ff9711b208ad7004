// config_policy.cpp — the `policy` section and the access and session pieces that targets
// share with it (see config_policy.hpp). docs/configuration.md documents each key; keep
// the two in step.
#include "gateway/config_policy.hpp"

#include <cstdint>
#include <string>
#include <utility>

namespace vncgate::gateway::config_detail {

namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

constexpr std::string_view policy_keys[] = {
    // At accept.
    "allow_cidrs", "deny_cidrs", "greet_refused", "connections_per_minute_per_ip",
    "connection_burst_per_ip", "connections_per_minute", "connection_burst", "max_handshakes",
    "max_handshakes_per_ip", "handshake_timeout",
    // Around authentication.
    "lockout",
    // Sessions.
    "max_sessions", "max_sessions_per_user", "max_sessions_per_target", "idle_timeout",
    "max_session", "end_revoked_sessions"};
constexpr std::string_view lockout_keys[] = {"failures", "source_failures", "user_failures",
                                             "window", "duration", "max_duration",
                                             "backoff_reset", "reveal"};
constexpr std::string_view access_keys[] = {"users", "groups"};

// The longest time any session or lockout rule may name: 30 days.
constexpr milliseconds longest_rule = 720h;

template <class T>
void store(const std::optional<std::int64_t>& value, T& out) {
  if (value) out = static_cast<T>(*value);
}

// Lockout times are kept in whole seconds: a millisecond part would be dropped silently,
// so it is an error instead.
std::optional<std::chrono::seconds> read_lockout_duration(const field& f, std::string_view name,
                                                          error_list& e) {
  const auto d = read_duration(f, name, 1s, longest_rule, e);
  if (!d) return std::nullopt;
  if (*d % 1s != 0ms) {
    e.add(f, "expected whole seconds for " + std::string(name) + ", not " + format_duration(*d) +
                 " (lockout times have no milliseconds part)");
    return std::nullopt;
  }
  return std::chrono::duration_cast<std::chrono::seconds>(*d);
}

void read_lockout(const yaml_map& policy, policy_config& out, error_list& e) {
  const yaml_map m(policy.get("lockout"), "lockout", lockout_keys, {}, e);
  if (!m.valid()) return;
  const auto before = e.total();
  auto& l = out.lockout;
  store(read_integer(m.get("failures"), "failures", 0, 1000, e), l.failures);
  store(read_integer(m.get("source_failures"), "source_failures", 0, 100'000, e),
        l.source_failures);
  store(read_integer(m.get("user_failures"), "user_failures", 0, 100'000, e), l.user_failures);
  if (auto d = read_lockout_duration(m.get("window"), "window", e)) l.window = *d;
  if (auto d = read_lockout_duration(m.get("duration"), "duration", e)) l.duration = *d;
  if (auto d = read_lockout_duration(m.get("max_duration"), "max_duration", e)) l.max_duration = *d;
  if (auto d = read_lockout_duration(m.get("backoff_reset"), "backoff_reset", e)) {
    l.backoff_reset = *d;
  }
  if (auto reveal = read_bool(m.get("reveal"), "reveal", e)) out.reveal_lockout = *reveal;
  // The combination is judged only when every value read: a bad value leaves its default
  // in place, which would make a second, misleading error here.
  if (e.total() != before) return;
  if (const auto why = l.invalid_reason(); !why.empty()) {
    e.add(policy.key_mark("lockout"), std::string(why));
  }
}

struct rate_keys {
  std::string_view rate;   // connections per minute; 0 = off
  std::string_view burst;  // 1..most
  std::int64_t most;
};

// A connection rate and its burst, defaults filled in (an absent burst is
// default_burst, or one minute's worth when that is nullopt). tokens == 0: the limit is
// off. nullopt after reporting an error.
std::optional<policy::rate_limit> read_rate(const yaml_map& m, const rate_keys& k,
                                            std::uint64_t default_rate,
                                            std::optional<std::uint64_t> default_burst,
                                            error_list& e) {
  const auto rate_field = m.get(k.rate);
  const auto burst_field = m.get(k.burst);
  const auto rate = read_integer(rate_field, k.rate, 0, k.most, e);
  const auto burst = read_integer(burst_field, k.burst, 1, k.most, e);
  if ((rate_field.present() && !rate) || (burst_field.present() && !burst)) return std::nullopt;

  policy::rate_limit out{rate ? static_cast<std::uint64_t>(*rate) : default_rate, 1min, 1};
  if (out.tokens == 0) {
    // A burst for a limit that is off would be silently ignored: say so instead.
    if (burst_field.present()) {
      e.add(burst_field, std::string(k.burst) + " needs " + std::string(k.rate) +
                             " above 0 (0 turns this limit off)");
      return std::nullopt;
    }
    return out;
  }
  out.burst = burst ? static_cast<std::uint64_t>(*burst) : default_burst.value_or(out.tokens);
  if (auto why = policy::check(out); !why.empty()) {
    e.add(rate_field.present() ? rate_field : burst_field, std::move(why));
    return std::nullopt;
  }
  return out;
}

void read_rates(const yaml_map& m, policy_config& out, error_list& e) {
  const policy_config defaults;
  // Per source: on by default; `0` turns it off.
  const auto& per_source_default = defaults.per_source_rate->rate;
  if (auto r = read_rate(m, {"connections_per_minute_per_ip", "connection_burst_per_ip", 1'000'000},
                         per_source_default.tokens, per_source_default.burst, e)) {
    if (r->tokens == 0) {
      out.per_source_rate.reset();
    } else {
      if (!out.per_source_rate) out.per_source_rate = defaults.per_source_rate;
      out.per_source_rate->rate = *r;
      if (auto why = policy::check(*out.per_source_rate); !why.empty()) {
        e.add(m.mark(), std::move(why));
      }
    }
  }
  // Global: off by default; the burst defaults to one minute's worth.
  if (auto r = read_rate(m, {"connections_per_minute", "connection_burst", 10'000'000}, 0,
                         std::nullopt, e)) {
    if (r->tokens == 0) {
      out.global_rate.reset();
    } else {
      out.global_rate = *r;
    }
  }
}

}  // namespace

std::optional<policy::access_list> read_access_list(const field& f, std::string_view name,
                                                    error_list& e) {
  const yaml_map m(f, name, access_keys, {}, e);
  if (!m.valid()) return std::nullopt;
  if (!m.has("users") && !m.has("groups")) {
    e.add(f, std::string(name) + " needs users, groups or both");
    return std::nullopt;
  }
  policy::access_list out;
  auto users = read_string_list(m.get("users"), "users", e);
  auto groups = read_string_list(m.get("groups"), "groups", e);
  if ((m.has("users") && !users) || (m.has("groups") && !groups)) return std::nullopt;
  if (users) out.users = std::move(*users);
  if (groups) out.groups = std::move(*groups);
  return out;
}

std::optional<milliseconds> read_session_duration(const field& f, std::string_view name,
                                                  error_list& e) {
  // Any well-formed duration first (the malformed message is read_duration's), then the
  // range, in one sentence that names the `0` as well.
  const auto d = read_duration(f, name, 0ms, milliseconds::max(), e);
  if (!d) return std::nullopt;
  if (*d != 0ms && (*d < 1s || *d > longest_rule)) {
    e.add(f, "expected 0 (none) or a duration from 1s to " + format_duration(longest_rule) +
                 " for " + std::string(name));
    return std::nullopt;
  }
  return d;
}

void read_policy(const field& f, policy_config& out, error_list& e) {
  const yaml_map m(f, "policy", policy_keys, {}, e);
  if (!m.valid()) return;

  if (auto allow = read_cidr_list(m.get("allow_cidrs"), "allow_cidrs", e)) {
    out.addresses.allow = std::move(*allow);
  }
  if (auto deny = read_cidr_list(m.get("deny_cidrs"), "deny_cidrs", e)) {
    out.addresses.deny = std::move(*deny);
  }
  if (auto greet = read_bool(m.get("greet_refused"), "greet_refused", e)) {
    out.greet_refused = *greet;
  }

  read_rates(m, out, e);
  store(read_integer(m.get("max_handshakes"), "max_handshakes", 0, 1'000'000, e),
        out.max_handshakes);
  store(read_integer(m.get("max_handshakes_per_ip"), "max_handshakes_per_ip", 0, 1'000'000, e),
        out.max_handshakes_per_ip);
  if (auto timeout = read_duration(m.get("handshake_timeout"), "handshake_timeout", 1s, 10min, e)) {
    out.handshake_timeout = *timeout;
  }

  read_lockout(m, out, e);

  store(read_integer(m.get("max_sessions"), "max_sessions", 0, 1'000'000, e), out.sessions.global);
  store(read_integer(m.get("max_sessions_per_user"), "max_sessions_per_user", 0, 1'000'000, e),
        out.sessions.per_user);
  store(read_integer(m.get("max_sessions_per_target"), "max_sessions_per_target", 0, 1'000'000, e),
        out.sessions.per_target);
  if (auto idle = read_session_duration(m.get("idle_timeout"), "idle_timeout", e)) {
    out.idle_timeout = *idle;
  }
  if (auto longest = read_session_duration(m.get("max_session"), "max_session", e)) {
    out.max_session = *longest;
  }
  if (auto end = read_bool(m.get("end_revoked_sessions"), "end_revoked_sessions", e)) {
    out.end_revoked_sessions = *end;
  }
}

}  // namespace vncgate::gateway::config_detail
