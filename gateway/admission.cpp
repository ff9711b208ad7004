#include "gateway/admission.hpp"

#include <map>
#include <optional>
#include <random>

namespace vncgate::gateway {

namespace {

constexpr unsigned v6_source_prefix = 64;

policy::address counted_as(const policy::address& peer) {
  return peer.is_v4() ? peer : peer.masked(v6_source_prefix);
}

bool same(const policy::rate_limit& a, const policy::rate_limit& b) {
  return a.tokens == b.tokens && a.per == b.per && a.burst == b.burst;
}

bool same(const std::optional<policy::keyed_rate_limit>& a, const std::optional<policy::keyed_rate_limit>& b) {
  if (!a || !b) return !a && !b;
  return same(a->rate, b->rate) && a->max_entries == b->max_entries && a->v4_prefix == b->v4_prefix &&
         a->v6_prefix == b->v6_prefix;
}

bool same(const std::optional<policy::rate_limit>& a, const std::optional<policy::rate_limit>& b) {
  if (!a || !b) return !a && !b;
  return same(*a, *b);
}

// Why an address rule refused `peer`, or nullopt when it admits it.
std::optional<connection_refusal> check_addresses(const policy::access_rules& rules, const policy::address& peer,
                                                  const std::string& where) {
  auto d = rules.evaluate(peer);
  if (d.allowed()) return std::nullopt;
  if (d.why == policy::access_reason::deny_rule)
    return connection_refusal{"address_denied", "matches deny_cidrs " + rules.deny[d.rule].to_string() + " (" + where + ")"};
  return connection_refusal{"address_denied", "not in allow_cidrs (" + where + ")"};
}

}  // namespace

struct admission::rates {
  std::optional<policy::rate_limit> global_limit;
  std::optional<policy::keyed_rate_limit> source_limit;
  std::optional<policy::shared_token_bucket> global;
  std::optional<policy::keyed_token_buckets> per_source;
};

struct handshake_ticket::counters {
  std::mutex mutex;
  std::size_t total = 0;
  std::map<policy::address, std::size_t> per_source;
};

handshake_ticket::handshake_ticket(std::shared_ptr<counters> owner, policy::address key)
    : owner_(std::move(owner)), key_(key) {}

handshake_ticket::handshake_ticket(handshake_ticket&& other) noexcept
    : owner_(std::move(other.owner_)), key_(other.key_) {}

handshake_ticket& handshake_ticket::operator=(handshake_ticket&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::move(other.owner_);
    key_ = other.key_;
  }
  return *this;
}

handshake_ticket::~handshake_ticket() { release(); }

void handshake_ticket::release() noexcept {
  if (!owner_) return;
  {
    std::lock_guard lock(owner_->mutex);
    --owner_->total;
    auto it = owner_->per_source.find(key_);
    if (it != owner_->per_source.end() && --it->second == 0) owner_->per_source.erase(it);
  }
  owner_.reset();
}

admission::admission(const policy_config& p)
    : handshakes_(std::make_shared<handshake_ticket::counters>()), lockout_(p.lockout), sessions_(p.sessions) {
  reconfigure(p);
}

admission::~admission() = default;

void admission::reconfigure(const policy_config& p) {
  auto old = current_rates();
  auto fresh = std::make_shared<rates>();
  fresh->global_limit = p.global_rate;
  fresh->source_limit = p.per_source_rate;
  // A limit that did not change keeps its buckets: a reload must not refill them.
  if (old && same(old->global_limit, p.global_rate) && same(old->source_limit, p.per_source_rate)) {
    fresh = old;
  } else {
    if (p.global_rate) fresh->global.emplace(*p.global_rate);
    if (p.per_source_rate) fresh->per_source.emplace(*p.per_source_rate, std::random_device{}());
  }
  {
    std::lock_guard lock(rates_mutex_);
    rates_ = std::move(fresh);
  }
  lockout_.reconfigure(p.lockout);
  sessions_.reconfigure(p.sessions);
}

std::shared_ptr<admission::rates> admission::current_rates() const {
  std::lock_guard lock(rates_mutex_);
  return rates_;
}

std::string admission::source_key(const policy::address& peer) {
  auto key = counted_as(peer).to_string();
  return peer.is_v4() ? key : key + "/64";
}

expected<handshake_ticket, connection_refusal> admission::admit(const policy::address& peer, const listener_config& l,
                                                                const policy_config& p, steady_time now) {
  if (auto refused = check_addresses(p.addresses, peer, "policy")) return unexpected(std::move(*refused));
  if (auto refused = check_addresses(l.addresses, peer, "listener " + l.address.to_string()))
    return unexpected(std::move(*refused));

  auto r = current_rates();
  if (r->global && !r->global->try_take(now))
    return unexpected(connection_refusal{"rate_limited", "over connections_per_minute (all sources)"});
  if (r->per_source && !r->per_source->try_take(peer, now).granted)
    return unexpected(connection_refusal{"rate_limited", "over connections_per_minute_per_ip for this source"});

  auto key = counted_as(peer);
  std::lock_guard lock(handshakes_->mutex);
  if (p.max_handshakes != 0 && handshakes_->total >= p.max_handshakes)
    return unexpected(connection_refusal{
        "too_many_handshakes", "max_handshakes (" + std::to_string(p.max_handshakes) + ") connections in the handshake"});
  auto& mine = handshakes_->per_source[key];
  if (p.max_handshakes_per_ip != 0 && mine >= p.max_handshakes_per_ip) {
    return unexpected(connection_refusal{"too_many_handshakes", "max_handshakes_per_ip (" +
                                                                    std::to_string(p.max_handshakes_per_ip) +
                                                                    ") connections in the handshake from this source"});
  }
  ++mine;
  ++handshakes_->total;
  return handshake_ticket(handshakes_, key);
}

void admission::prune(steady_time now) {
  auto r = current_rates();
  if (r->per_source) r->per_source->prune(now);
  lockout_.prune(now);
}

}  // namespace vncgate::gateway
