#include "gateway/log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <string>

namespace vncgate::gateway {
namespace {

std::atomic<log_level> min_level{log_level::info};

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

void log(log_level level, std::string_view session, std::string_view message) noexcept {
  if (level < min_level.load(std::memory_order_relaxed)) return;
  try {
    auto now = std::chrono::system_clock::now();
    std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    std::string line;
    line.reserve(64 + message.size());
    line.append(stamp).append(" ").append(level_name(level)).append(" ");
    if (!session.empty()) line.append("[").append(session).append("] ");
    line.append(message).append("\n");
    // Control characters from peers (user names, reasons) must not forge log lines.
    for (std::size_t i = 0; i + 1 < line.size(); ++i)
      if (static_cast<unsigned char>(line[i]) < 0x20) line[i] = '?';
    ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
    (void)ignored;
  } catch (...) {
    // Logging must never take a session down.
  }
}

}  // namespace vncgate::gateway
