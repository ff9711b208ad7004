// audit.hpp — the audit trail: one JSON object per line for every connection, login
// and session, to every configured sink (a file, stdout).
//
// Any thread may call write(); a mutex keeps each line whole and in one order across
// sinks. A sink that fails is reported once on the log and skipped until it works
// again; auditing never ends a session. Fields are values the gateway chose or
// peer-supplied text bounded by the protocol decoders; never a password.
#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <mutex>
#include <vector>

#include "gateway/config.hpp"

namespace vncgate::gateway {

class audit_log {
 public:
  // Opens the sinks; a file that cannot be opened is a start-up error (returned).
  static expected<std::unique_ptr<audit_log>, std::string> open(const std::vector<audit_sink_config>& sinks);
  ~audit_log();
  audit_log(const audit_log&) = delete;
  audit_log& operator=(const audit_log&) = delete;

  // Takes over the sinks of `fresh` (opened with open() for a new configuration); the
  // old sinks go to `fresh` and close with it. Records never interleave with the swap.
  void adopt(audit_log& fresh) noexcept;

  // Reopens every file sink by its path (SIGUSR1, after logrotate moved the file).
  // A file that cannot be opened keeps the old descriptor and is reported on the log.
  void reopen() noexcept;

  // Adds "time" (RFC 3339 UTC, milliseconds) in front of the record and writes it.
  void write(const boost::json::object& record) noexcept;

 private:
  struct sink {
    int fd = -1;
    bool owned = false;
    std::string name;
    bool failing = false;
  };
  struct sink_list_tag {};
 public:
  explicit audit_log(sink_list_tag) {}

 private:
  std::mutex mutex_;
  std::vector<sink> sinks_;
};

}  // namespace vncgate::gateway
