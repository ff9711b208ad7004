// log.hpp — the operator's log: human-readable lines on stderr.
//
// One write(2) per line, so lines from different threads never interleave. Any thread
// may call. Lines about a session carry its id. Never pass a secret.
#pragma once

#include <string>
#include <string_view>

namespace vncgate::gateway {

enum class log_level { debug, info, warning, error };

void set_log_level(log_level min) noexcept;
void log(log_level level, std::string_view session, std::string_view message) noexcept;

inline void log_info(std::string_view message) noexcept { log(log_level::info, {}, message); }
inline void log_warning(std::string_view message) noexcept { log(log_level::warning, {}, message); }
inline void log_error(std::string_view message) noexcept { log(log_level::error, {}, message); }

// "19,2,1": numbers (security types, subtypes) for a log line.
template <class Range>
std::string comma_list(const Range& numbers) {
  std::string s;
  for (auto n : numbers) s += (s.empty() ? "" : ",") + std::to_string(static_cast<unsigned long>(n));
  return s;
}

}  // namespace vncgate::gateway
