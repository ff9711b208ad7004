// log.hpp — the operator's log: lines on stderr, human-readable text by default or one
// JSON object per line (`--log-format json`, for journald/Loki/Elasticsearch pipelines).
//
//   text: 2026-11-21T13:05:43.123Z info [5f0c...] user alice authenticated by pam
//   json: {"time":"2026-11-21T13:05:43.123Z","level":"info","session":"5f0c...","message":"..."}
//
// One write(2) per line, so lines from different threads never interleave. Any thread
// may call. Lines about a session carry its id. Never pass a secret. Control characters
// from peers cannot forge a line: text replaces them, JSON escapes them.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace vncgate::gateway {

enum class log_level { debug, info, warning, error };
enum class log_format { text, json };

void set_log_level(log_level min) noexcept;
void set_log_format(log_format format) noexcept;
// The line log() writes (without the trailing newline), for tests.
std::string format_log_line(log_format format, std::string_view time, log_level level, std::string_view session,
                            std::string_view message);
// "2026-11-21T13:05:43.123Z": RFC 3339, UTC, milliseconds (log lines, audit records, the admin API).
std::string rfc3339_utc(std::chrono::system_clock::time_point when);
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
