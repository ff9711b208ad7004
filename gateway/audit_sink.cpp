// audit_sink.cpp — the file and stdout sinks, the sink factory, and the health counters
// (see audit_sink.hpp).
#include "gateway/audit_sink.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "gateway/audit_syslog.hpp"
#include "gateway/metrics.hpp"

namespace vncgate::gateway {
namespace {

int write_all(int fd, const char* p, std::size_t n) noexcept {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return 0;
}

int open_append(const std::filesystem::path& path) noexcept {
  return ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

// An append-only file, opened again by its path on reopen().
class file_sink final : public audit_sink {
 public:
  file_sink(std::filesystem::path path, int fd) : audit_sink("file:" + path.string()), path_(std::move(path)), fd_(fd) {}
  ~file_sink() override { ::close(fd_); }

  int write(const audit_entry& entry) noexcept override {
    return write_all(fd_, entry.line.data(), entry.line.size());
  }

  int reopen() noexcept override {
    int fd = open_append(path_);
    if (fd < 0) return errno;
    ::close(fd_);
    fd_ = fd;
    return 0;
  }

 private:
  std::filesystem::path path_;
  int fd_;
};

// The process's stdout (journald, a container runtime): shared, never closed.
class stdout_sink final : public audit_sink {
 public:
  stdout_sink() : audit_sink("stdout") {}
  int write(const audit_entry& entry) noexcept override {
    return write_all(STDOUT_FILENO, entry.line.data(), entry.line.size());
  }
};

}  // namespace

void audit_sink_health::attach(metrics& m, const std::string& label) {
  auto series = m.audit_sink(label);
  // Whatever happened before the metrics existed still counts.
  series.dropped.Increment(static_cast<double>(dropped_count()));
  series.errors.Increment(static_cast<double>(error_count()));
  dropped_metric_.store(&series.dropped);
  errors_metric_.store(&series.errors);
  up_metric_.store(&series.up);
  series.up.Set(up() ? 1 : 0);  // after the store: a set_up() racing with this one is not lost
}

void audit_sink_health::dropped(std::uint64_t records) noexcept {
  dropped_.fetch_add(records, std::memory_order_relaxed);
  if (auto* c = dropped_metric_.load()) c->Increment(static_cast<double>(records));
}

void audit_sink_health::failed_write() noexcept {
  errors_.fetch_add(1, std::memory_order_relaxed);
  if (auto* c = errors_metric_.load()) c->Increment();
  dropped(1);
}

void audit_sink_health::set_up(bool up) noexcept {
  up_.store(up, std::memory_order_relaxed);
  if (auto* g = up_metric_.load()) g->Set(up ? 1 : 0);
}

expected<std::shared_ptr<audit_sink>, std::string> open_audit_sink(const audit_sink_config& config) {
  switch (config.kind) {
    case audit_sink_kind::stdout_sink:
      return std::shared_ptr<audit_sink>(std::make_shared<stdout_sink>());
    case audit_sink_kind::syslog:
      return open_syslog_sink(config);
    case audit_sink_kind::file:
      break;
  }
  int fd = open_append(config.path);
  if (fd < 0) return unexpected(std::string("cannot open audit file ") + config.path.string() + ": " + std::strerror(errno));
  return std::shared_ptr<audit_sink>(std::make_shared<file_sink>(config.path, fd));
}

}  // namespace vncgate::gateway
