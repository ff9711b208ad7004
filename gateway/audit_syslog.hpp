// audit_syslog.hpp — the syslog audit sink: each record as one RFC 5424 datagram on the
// local syslog socket (/dev/log by default), and the pure pieces it is built from.
//
//   <86>1 2026-11-21T13:05:43.123Z bastion vncgate 4242 session_end - {"time":...}
//
// PRI = facility * 8 + severity; TIMESTAMP is the record's own "time"; MSGID the event
// name (printable ASCII, at most 32 characters); no STRUCTURED-DATA ("-"); MSG the JSON
// record without a BOM (MSG-ANY: peer-supplied text in a record need not be valid UTF-8,
// and a BOM in front of JSON trips log shippers' JSON parsers).
//
// Sending does not block (MSG_DONTWAIT): a full socket queue (EAGAIN, ENOBUFS) loses that
// record for this sink, counted. Only a healthy sink first waits once, at most 50 ms, for
// the daemon to make room (a burst longer than net.unix.max_dgram_qlen: 10 by the
// kernel's default, 512 under systemd); a failing sink never waits, so a stalled daemon
// costs the writer thread 50 ms once, not per record. A socket that is missing or went away is connected
// again with the next record. A record longer than syslog_max_message is not cut (cut
// JSON is useless): MSG becomes a short record naming the event, session and size, with
// "truncated": true; the other sinks still get it whole.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "gateway/audit_sink.hpp"

namespace vncgate::gateway {

// RFC 5424 §6.2.1 severities the audit trail uses.
enum class syslog_severity : std::uint8_t { warning = 4, notice = 5, info = 6 };

// A small fixed map: lockouts, failed logins and failed reloads are warnings; refusals at
// accept and sessions that did not end normally are notices; the rest is info.
syslog_severity audit_severity(const boost::json::object& record) noexcept;

// rsyslog's default maximum message size; journald and syslog-ng take more.
constexpr std::size_t syslog_max_message = 8192;

struct syslog_identity {
  int facility = 10;                 // authpriv
  std::string hostname = "-";        // printable ASCII, at most 255
  std::string app_name = "vncgate";  // printable ASCII, at most 48 (checked by the config)
  long pid = 0;
};

// The host's name as RFC 5424 HOSTNAME allows it ("-" when it has none).
std::string syslog_hostname();

// The datagram for one record, at most max_size bytes (see the file comment).
std::string rfc5424_message(const syslog_identity& id, const audit_entry& entry,
                            std::size_t max_size = syslog_max_message);

// The sink for `config` (kind syslog). Connects now; when it cannot, it warns on the log,
// starts as failing, and tries again with each record.
std::shared_ptr<audit_sink> open_syslog_sink(const audit_sink_config& config);

}  // namespace vncgate::gateway
