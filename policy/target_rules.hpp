// target_rules.hpp — which internal desktop a person may reach.
//
// Pure decisions on values: no I/O, no clocks, no shared state. Thread-safe.
//
// How a target is chosen, in order:
//   1. the listener is bound to one target: that one (a different name asked for in
//      `user@target` is refused);
//   2. the login names one (`user@target`, see split_login): that one;
//   3. the user may reach exactly one target: that one;
//   otherwise refused. The chosen target's allow list must then admit the user:
//   a user name or one of the user's groups is listed, or the list holds "*"
//   (any authenticated user). An empty list admits nobody.
//
// Deny wins over allow: a user whom the target's deny list admits (by name, by group,
// or "*") is refused there with refusal::denied, whatever the allow list says. An empty
// deny list denies nobody. Rule 3 counts only targets the user is allowed on and not
// denied on. The client is told `denied` in the same words as `not_allowed`, so a
// client cannot tell that a deny rule exists; the audit gets the precise word.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vncgate::policy {

struct access_list {
  std::vector<std::string> users;   // "*" = every authenticated user
  std::vector<std::string> groups;
  bool admits(std::string_view user, std::span<const std::string> groups) const;
};

struct target_rule {
  std::string name;
  access_list allow;
  access_list deny;  // wins over allow; empty: denies nobody
  // allow admits and deny does not: whether the user may reach this target (also what a
  // reload checks running sessions against).
  bool admits(std::string_view user, std::span<const std::string> groups) const;
};

struct login_name {
  std::string user;
  std::string target;  // empty when none was named
};

// "alice@design-ws" -> {alice, design-ws} when "design-ws" is one of target_names;
// otherwise the whole string is the user name ("alice@example.com" stays a user name).
// Splits at the last '@' ("a@b.com@design-ws" -> {a@b.com, design-ws}). Both parts
// must be non-empty: "@design-ws" and "alice@" stay whole user names (no empty user).
login_name split_login(std::string_view login, std::span<const target_rule> targets);

enum class refusal {
  none,
  unknown_target,    // the named target does not exist (told to the user as not_allowed)
  not_allowed,       // the target exists but its allow list does not admit the user
  denied,            // the target's deny list names the user (told to the user as not_allowed)
  no_target,         // the user may reach no target at all
  ambiguous,         // several targets possible and none named: log in as user@target
  listener_mismatch, // the listener is bound to another target than the one named
};

struct target_choice {
  std::optional<std::size_t> index;  // into the targets span, when refusal::none
  refusal why = refusal::none;
};

target_choice choose_target(std::span<const target_rule> targets,
                            std::optional<std::size_t> listener_target,
                            std::string_view requested,
                            std::string_view user,
                            std::span<const std::string> groups);

// The sentence the client sees for a refusal. Never names targets or users.
std::string_view client_message(refusal r) noexcept;
// The short outcome word for audit records ("not_allowed", ...).
std::string_view to_string(refusal r) noexcept;

}  // namespace vncgate::policy
