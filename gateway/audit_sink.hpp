// audit_sink.hpp — one place audit records go: an append-only file, stdout (both here)
// or syslog (audit_syslog.hpp), with the health counters the metrics expose.
//
// write() and reopen() are called by one audit_log writer thread at a time, never by a
// session's thread; a file or stdout write may block that thread (the queue in front of
// it keeps relaying going), a syslog write never blocks. The health counters may be
// read and counted into from any thread. Sinks are shared (shared_ptr) between the
// writer and the log that adopted them, and close when the last holder lets go.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "gateway/config.hpp"

namespace vncgate::gateway {

class metrics;

// One record as audit_log queued it.
struct audit_entry {
  std::string line;       // the JSON object and its '\n'
  std::string event;      // the record's "event" (syslog MSGID); may be empty
  std::string time;       // the record's "time", RFC 3339 UTC (syslog TIMESTAMP)
  std::uint8_t severity;  // RFC 5424 severity (audit_severity)
};

// What happened to a sink's records so far; counted into metrics once attach()ed.
class audit_sink_health {
 public:
  void attach(metrics& m, const std::string& label);
  void dropped(std::uint64_t records = 1) noexcept;
  void failed_write() noexcept;  // one error, and the record lost
  void set_up(bool up) noexcept;

  std::uint64_t dropped_count() const noexcept { return dropped_.load(std::memory_order_relaxed); }
  std::uint64_t error_count() const noexcept { return errors_.load(std::memory_order_relaxed); }
  bool up() const noexcept { return up_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<bool> up_{true};
  std::atomic<prometheus::Counter*> dropped_metric_{nullptr};
  std::atomic<prometheus::Counter*> errors_metric_{nullptr};
  std::atomic<prometheus::Gauge*> up_metric_{nullptr};
};

class audit_sink {
 public:
  explicit audit_sink(std::string label) : label_(std::move(label)) {}
  virtual ~audit_sink() = default;
  audit_sink(const audit_sink&) = delete;
  audit_sink& operator=(const audit_sink&) = delete;

  // "file:/var/log/vncgate/audit.jsonl", "stdout", "syslog:/dev/log": the config's words,
  // for the log and the metrics' `sink` label.
  const std::string& label() const noexcept { return label_; }

  // Writes one record: 0, or the errno that lost it for this sink.
  virtual int write(const audit_entry& entry) noexcept = 0;
  // SIGUSR1: a file sink opens its path again (logrotate moved the file); 0 or errno,
  // and on failure it keeps writing where it wrote.
  virtual int reopen() noexcept { return 0; }

  audit_sink_health health;
  bool failing = false;  // the writer's view, for "failed" / "works again" lines on the log

 private:
  std::string label_;
};

using audit_sink_list = std::vector<std::shared_ptr<audit_sink>>;

// Opens a sink for `config`: a file that cannot be opened is an error (start-up or reload
// fails); a syslog socket that cannot be reached is not (the sink starts failing, says so
// on the log, and tries again with each record).
expected<std::shared_ptr<audit_sink>, std::string> open_audit_sink(const audit_sink_config& config);

}  // namespace vncgate::gateway
