// config_policy.hpp — the readers for access and session rules (private to
// gateway/config*.cpp): the `policy` section, and the pieces of it that targets repeat
// (user/group lists, session durations).
//
// Same rules as config_yaml.hpp: every problem goes into the error_list at the node that
// caused it, nothing throws on bad input, and a reader that finds a problem leaves the
// default in place. No I/O. Only gateway/config*.cpp may include this header.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "gateway/config.hpp"
#include "gateway/config_yaml.hpp"

namespace vncgate::gateway::config_detail {

// `{ users: [...], groups: [...] }` for a target's allow, deny, view_only and block_paste:
// at least one of the two keys, each a list of non-empty strings (possibly empty).
std::optional<policy::access_list> read_access_list(const field& f, std::string_view name,
                                                    error_list& e);

// idle_timeout and max_session: `0` (none) or a duration from 1s to 720h.
std::optional<std::chrono::milliseconds> read_session_duration(const field& f,
                                                               std::string_view name,
                                                               error_list& e);

// The `policy` section onto `out`; keys that are absent keep their defaults, and so does
// out.sessions.target_limits (filled from the targets).
void read_policy(const field& f, policy_config& out, error_list& e);

}  // namespace vncgate::gateway::config_detail
