// cidr.hpp — address ranges (CIDR) and the allow/deny lists built from them.
//
// Pure decisions on values: no I/O, no clocks, no shared state. Thread-safe.
//
// Every range belongs to exactly one family and matches only addresses of that family:
//   - "10.0.0.0/8", "0.0.0.0/0" (every IPv4 address), "192.0.2.7" (= /32) are IPv4;
//     they match IPv4 peers whether these arrived over IPv4 or as ::ffff:a.b.c.d on a
//     dual-stack socket (see address.hpp);
//   - a range written in IPv6 notation that lies inside ::ffff:0:0/96 is the IPv4 range
//     it maps: "::ffff:10.0.0.0/104" is 10.0.0.0/8 and prints so;
//   - any other IPv6 range matches IPv6 peers only. "::/0" is every IPv6 address and no
//     IPv4 one, although the mapped block lies inside it: most administrators read ::/0
//     as "all of IPv6", and letting it also admit all of IPv4 would be a surprise in an
//     allow list. "Everything" is the pair 0.0.0.0/0 and ::/0.
//
// Parsing is strict, because a typo in an access list should stop the config from
// loading rather than silently admit or refuse someone: the prefix length is decimal
// without sign, spaces or leading zeros, within the family's range (0..32, 0..128), and
// no bit may be set after the prefix ("10.1.2.3/8" is refused with a hint to write
// 10.0.0.0/8: it is likelier a typo of 10.1.2.3/32 or 10.1.0.0/16 than meant as /8).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/address.hpp"

namespace vncgate::policy {

class cidr {
 public:
  cidr() = default;  // "::/128"

  // nullopt when the prefix is out of the family's range or bits are set after it.
  // `prefix` counts in the network's family (0..32 for IPv4, 0..128 for IPv6).
  static std::optional<cidr> make(const address& network, unsigned prefix) noexcept;

  const address& network() const noexcept { return network_; }
  unsigned prefix() const noexcept;  // in the family's terms: 8 for 10.0.0.0/8
  bool is_v4() const noexcept { return network_.is_v4(); }
  bool contains(const address& a) const noexcept;

  // Canonical text, always with a prefix: "10.0.0.0/8", "2001:db8::/32",
  // "192.0.2.7/32"; mapped ranges print as IPv4.
  std::string to_string() const;

  friend bool operator==(const cidr&, const cidr&) = default;

 private:
  address network_;
  std::uint8_t bits_ = 128;  // prefix over the 16-byte form (IPv4 /8 = 104)
};

struct parsed_cidr {
  std::optional<cidr> value;  // set on success
  std::string error;          // otherwise one sentence for a config error
};

// "10.0.0.0/8", "2001:db8::/32", "192.0.2.7", "::1", "::ffff:10.0.0.0/104". Never
// throws; the error message does not repeat the input except as a corrected hint.
parsed_cidr parse_cidr(std::string_view text);

enum class access_reason {
  allow_all,       // allowed: no deny rule matched and the allow list is empty
  allow_rule,      // allowed: allow[rule] matched and no deny rule did
  deny_rule,       // denied: deny[rule] matched (whatever the allow list says)
  not_in_allow,    // denied: the allow list is not empty and none of it matched
};

struct access_decision {
  access_reason why = access_reason::not_in_allow;
  std::size_t rule = 0;  // index into allow (allow_rule) or deny (deny_rule); else 0
  bool allowed() const noexcept {
    return why == access_reason::allow_all || why == access_reason::allow_rule;
  }
};

// One allow/deny pair (global, or one listener's). Deny wins over allow; an empty allow
// list allows every address not denied. When several rules match, the first in list
// order is reported, so the audit names the line the administrator wrote first.
// Evaluation is a linear scan: lists are expected to be tens, not millions, of ranges.
struct access_rules {
  std::vector<cidr> allow;
  std::vector<cidr> deny;

  access_decision evaluate(const address& a) const noexcept;
};

// "allow_all", "allow_rule", "deny_rule", "not_in_allow", for audit records.
std::string_view to_string(access_reason r) noexcept;

}  // namespace vncgate::policy
