#include "gateway/log.hpp"

#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <boost/json/object.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace vncgate::gateway {
namespace {

std::atomic<log_level> min_level{log_level::info};
std::atomic<log_format> line_format{log_format::text};

std::string_view level_name(log_level l) noexcept {
  switch (l) {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warning: return "warning";
    case log_level::error: return "error";
  }
  return "?";
}

}  // namespace

void set_log_level(log_level min) noexcept { min_level = min; }
void set_log_format(log_format format) noexcept { line_format = format; }

std::string format_log_line(log_format format, std::string_view time, log_level level, std::string_view session,
                            std::string_view message) {
  if (format == log_format::json) {
    boost::json::object o{{"time", time}, {"level", level_name(level)}};
    if (!session.empty()) o["session"] = session;
    o["message"] = message;
    return boost::json::serialize(o);  // escapes control characters
  }
  std::string line;
  line.reserve(64 + message.size());
  line.append(time).append(" ").append(level_name(level)).append(" ");
  if (!session.empty()) line.append("[").append(session).append("] ");
  line.append(message);
  // Control characters from peers (user names, reasons) must not forge log lines.
  for (char& c : line)
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  return line;
}

std::string rfc3339_utc(std::chrono::system_clock::time_point when) {
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[40];
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count() % 1000;
  std::size_t n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(stamp + n, sizeof stamp - n, ".%03dZ", static_cast<int>(millis));
  return stamp;
}

void log(log_level level, std::string_view session, std::string_view message) noexcept {
  if (level < min_level.load(std::memory_order_relaxed)) return;
  try {
    std::string stamp = rfc3339_utc(std::chrono::system_clock::now());
    std::string line = format_log_line(line_format.load(std::memory_order_relaxed), stamp, level, session, message);
    line.push_back('\n');
    ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
    (void)ignored;
  } catch (...) {
    // Logging must never take a session down.
  }
}

}  // namespace vncgate::gateway
