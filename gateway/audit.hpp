// audit.hpp — the audit trail: one JSON object per record for every connection, login
// and session, to every configured sink (a file, stdout, syslog: audit_sink.hpp).
//
// write() never blocks on a sink: any thread (I/O workers included) formats the record
// and puts it in a bounded in-memory queue, and one writer thread per audit_log hands
// the queue to the sinks in order. A full queue (audit_queue_limits) drops the record
// and counts it for every sink; a sink that fails drops its own records, counted, says
// so once on the log and once more when it works again; auditing never ends a session.
// Fields are values the gateway chose or peer-supplied text bounded by the protocol
// decoders; never a password.
//
// adopt() and reopen() take effect in queue order on the writer thread and do not wait
// for it. The destructor lets the writer finish what is queued (at most flush_timeout),
// so the last records of a shutdown reach the sinks.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gateway/audit_sink.hpp"
#include "gateway/config.hpp"

namespace vncgate::gateway {

class metrics;

// The queue's bound: whichever limit comes first. 100 000 records is minutes of a busy
// bastion's events; 64 MiB caps the memory a stuck sink can pin.
struct audit_queue_limits {
  std::size_t max_records = 100'000;
  std::size_t max_bytes = 64u << 20;
  std::chrono::milliseconds flush_timeout{2000};  // the destructor's wait for the writer
};

// One sink as the metrics see it (for tests and diagnostics).
struct audit_sink_stats {
  std::string sink;  // its label
  std::uint64_t dropped = 0;
  std::uint64_t errors = 0;
  bool up = true;
};

class audit_log {
 public:
  // Opens the sinks and starts the writer; a file that cannot be opened is a start-up
  // error (returned). A syslog socket that cannot be reached is only warned about.
  static expected<std::unique_ptr<audit_log>, std::string> open(const std::vector<audit_sink_config>& sinks,
                                                                audit_queue_limits limits = {});
  ~audit_log();
  audit_log(const audit_log&) = delete;
  audit_log& operator=(const audit_log&) = delete;

  // Takes over the sinks of `fresh` (opened with open() for a new configuration): the
  // records queued before the call still go to the old sinks, every later one to the new
  // ones. The old sinks go to `fresh` and close once both writers let them go.
  void adopt(audit_log& fresh) noexcept;

  // Reopens every file sink by its path (SIGUSR1, after logrotate moved the file), in
  // queue order. A file that cannot be opened keeps the old descriptor and is reported.
  void reopen() noexcept;

  // Adds "time" (RFC 3339 UTC, milliseconds) in front of the record and queues it.
  void write(const boost::json::object& record) noexcept;

  // Counts drops, sink errors and sink state into `m` from now on, for the sinks in use
  // and those adopted later. `m` must outlive this log.
  void report_to(metrics& m) noexcept;

  // Waits until everything queued before the call was handed to the sinks; false when
  // `timeout` passed first.
  bool flush(std::chrono::milliseconds timeout) noexcept;

  // The sinks that records queued now go to.
  std::vector<audit_sink_stats> stats() const;

  struct state;
  explicit audit_log(std::shared_ptr<state> s);

 private:
  std::shared_ptr<state> state_;
  std::thread writer_;
};

}  // namespace vncgate::gateway
