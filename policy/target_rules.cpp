// target_rules.cpp — user/group -> target decisions (see target_rules.hpp).
#include "policy/target_rules.hpp"

#include <algorithm>

namespace vncgate::policy {

namespace {

bool contains(std::span<const std::string> list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::optional<std::size_t> find_target(std::span<const target_rule> targets,
                                       std::string_view name) {
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (targets[i].name == name) return i;
  }
  return std::nullopt;
}

target_choice admitted_or_refused(std::span<const target_rule> targets, std::size_t index,
                                  std::string_view user, std::span<const std::string> groups) {
  // Deny first: a denied user is `denied` even when the allow list would not admit them
  // either, so the audit names the rule that the administrator wrote about them.
  if (targets[index].deny.admits(user, groups)) return {std::nullopt, refusal::denied};
  if (targets[index].allow.admits(user, groups)) return {index, refusal::none};
  return {std::nullopt, refusal::not_allowed};
}

}  // namespace

bool access_list::admits(std::string_view user, std::span<const std::string> user_groups) const {
  // "*" is only a wildcard when it is in the list: a person whose login is "*" matches a
  // list naming "*" (which admits everyone anyway) and nothing else.
  if (contains(users, "*") || contains(users, user)) return true;
  return std::any_of(user_groups.begin(), user_groups.end(),
                     [&](const std::string& g) { return contains(groups, g); });
}

bool target_rule::admits(std::string_view user, std::span<const std::string> user_groups) const {
  return allow.admits(user, user_groups) && !deny.admits(user, user_groups);
}

login_name split_login(std::string_view login, std::span<const target_rule> targets) {
  const auto at = login.rfind('@');
  if (at != std::string_view::npos && at > 0 && at + 1 < login.size()) {
    const auto target = login.substr(at + 1);
    if (find_target(targets, target)) {
      return {std::string(login.substr(0, at)), std::string(target)};
    }
  }
  return {std::string(login), {}};
}

target_choice choose_target(std::span<const target_rule> targets,
                            std::optional<std::size_t> listener_target,
                            std::string_view requested,
                            std::string_view user,
                            std::span<const std::string> groups) {
  if (listener_target) {
    // A bound listener whose index is out of range is a caller bug, but refusing is the
    // safe answer either way.
    if (*listener_target >= targets.size()) return {std::nullopt, refusal::unknown_target};
    if (!requested.empty() && requested != targets[*listener_target].name) {
      return {std::nullopt, refusal::listener_mismatch};
    }
    return admitted_or_refused(targets, *listener_target, user, groups);
  }
  if (!requested.empty()) {
    const auto index = find_target(targets, requested);
    if (!index) return {std::nullopt, refusal::unknown_target};
    return admitted_or_refused(targets, *index, user, groups);
  }
  std::optional<std::size_t> only;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (!targets[i].admits(user, groups)) continue;
    if (only) return {std::nullopt, refusal::ambiguous};
    only = i;
  }
  if (!only) return {std::nullopt, refusal::no_target};
  return {only, refusal::none};
}

std::string_view client_message(refusal r) noexcept {
  switch (r) {
    case refusal::none:
      return "";
    // One sentence for all of these so that a client cannot probe which targets exist.
    case refusal::unknown_target:
    case refusal::not_allowed:
    case refusal::denied:
    case refusal::no_target:
    case refusal::listener_mismatch:
      return "target not allowed";
    case refusal::ambiguous:
      return "several targets are available: log in as user@target";
  }
  return "target not allowed";
}

std::string_view to_string(refusal r) noexcept {
  switch (r) {
    case refusal::none: return "none";
    case refusal::unknown_target: return "unknown_target";
    case refusal::not_allowed: return "not_allowed";
    case refusal::denied: return "denied";
    case refusal::no_target: return "no_target";
    case refusal::ambiguous: return "ambiguous";
    case refusal::listener_mismatch: return "listener_mismatch";
  }
  return "unknown";
}

}  // namespace vncgate::policy
