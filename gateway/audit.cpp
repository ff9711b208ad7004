#include "gateway/audit.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include "gateway/log.hpp"

namespace vncgate::gateway {
namespace {

std::string rfc3339_now() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
  return buf;
}

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

}  // namespace

expected<std::unique_ptr<audit_log>, std::string> audit_log::open(const std::vector<audit_sink_config>& sinks) {
  auto log = std::make_unique<audit_log>(sink_list_tag{});
  for (const auto& s : sinks) {
    if (s.kind == audit_sink_kind::stdout_sink) {
      log->sinks_.push_back({STDOUT_FILENO, false, "stdout", false});
      continue;
    }
    int fd = ::open(s.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
      return unexpected(std::string("cannot open audit file ") + s.path.string() + ": " + std::strerror(errno));
    log->sinks_.push_back({fd, true, s.path.string(), false});
  }
  return log;
}

audit_log::~audit_log() {
  for (auto& s : sinks_)
    if (s.owned) ::close(s.fd);
}

void audit_log::adopt(audit_log& fresh) noexcept {
  std::scoped_lock lock(mutex_, fresh.mutex_);
  sinks_.swap(fresh.sinks_);
}

void audit_log::reopen() noexcept {
  std::lock_guard lock(mutex_);
  for (auto& s : sinks_) {
    if (!s.owned) continue;
    int fd = ::open(s.name.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
      log_error("audit sink " + s.name + " could not be reopened: " + std::strerror(errno) + "; still writing the old file");
      continue;
    }
    ::close(s.fd);
    s.fd = fd;
  }
}

void audit_log::write(const boost::json::object& record) noexcept {
  try {
    boost::json::object line;
    line.reserve(record.size() + 1);
    line["time"] = rfc3339_now();
    for (const auto& kv : record) line[kv.key()] = kv.value();
    std::string text = boost::json::serialize(line);
    text.push_back('\n');
    std::lock_guard lock(mutex_);
    for (auto& s : sinks_) {
      bool ok = write_all(s.fd, text.data(), text.size());
      if (!ok && !s.failing) log_error("audit sink " + s.name + " failed: " + std::strerror(errno));
      if (ok && s.failing) log_info("audit sink " + s.name + " works again");
      s.failing = !ok;
    }
  } catch (...) {
    log_error("audit record could not be written (out of memory?)");
  }
}

}  // namespace vncgate::gateway
