// audit_syslog.cpp — RFC 5424 datagrams on the local syslog socket (see audit_syslog.hpp).
#include "gateway/audit_syslog.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string_view>

#include "gateway/log.hpp"

namespace vncgate::gateway {
namespace {

// RFC 5424 §6: PRINTUSASCII is %d33-126; a field that ends up empty is the NILVALUE "-".
std::string printable_field(std::string_view text, std::size_t max_size) {
  std::string out;
  for (char c : text) {
    if (out.size() == max_size) break;
    if (c >= 33 && c <= 126) out.push_back(c);
  }
  return out.empty() ? "-" : out;
}

std::string_view text_field(const boost::json::object& record, std::string_view key) noexcept {
  auto it = record.find(key);
  if (it == record.end() || !it->value().is_string()) return {};
  return it->value().get_string();
}

// A record too long for one datagram: what it was, and that it was cut.
std::string truncated_record(const audit_entry& entry) {
  boost::json::object stub;
  stub["time"] = entry.time;
  stub["event"] = entry.event;
  try {
    boost::system::error_code ec;
    auto parsed = boost::json::parse(entry.line, ec);
    if (!ec && parsed.is_object()) {
      auto session = text_field(parsed.get_object(), "session");
      if (!session.empty()) stub["session"] = session;
    }
  } catch (...) {
  }
  stub["truncated"] = true;
  stub["record_bytes"] = entry.line.size();
  return boost::json::serialize(stub);
}

class syslog_sink final : public audit_sink {
 public:
  syslog_sink(const audit_sink_config& config)
      : audit_sink("syslog:" + config.path.string()),
        path_(config.path),
        id_{config.facility, syslog_hostname(), config.app_name, static_cast<long>(::getpid())} {}
  ~syslog_sink() override { disconnect(); }

  int connect() noexcept {
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return errno;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const auto& p = path_.native();
    if (p.size() >= sizeof addr.sun_path) {
      ::close(fd);
      return ENAMETOOLONG;
    }
    std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      int err = errno;
      ::close(fd);
      return err;
    }
    fd_ = fd;
    return 0;
  }

  int write(const audit_entry& entry) noexcept override {
    try {
      if (fd_ < 0) {
        if (int err = connect()) return err;
      }
      const std::string message = rfc5424_message(id_, entry);
      bool waited = failing;  // a failing sink never waits
      for (;;) {
        if (::send(fd_, message.data(), message.size(), MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) return 0;
        int err = errno;
        if (err == EINTR) continue;
        if ((err == EAGAIN || err == EWOULDBLOCK) && !waited) {
          // A burst longer than the daemon's queue (net.unix.max_dgram_qlen): give it a
          // moment to read, once, then drop.
          waited = true;
          pollfd p{fd_, POLLOUT, 0};
          if (::poll(&p, 1, burst_wait_ms) == 1) continue;
        }
        // The receiver went away (syslog restarted, socket removed): connect anew next time.
        if (err != EAGAIN && err != EWOULDBLOCK && err != ENOBUFS) disconnect();
        return err;
      }
    } catch (...) {
      return ENOMEM;
    }
  }

 private:
  void disconnect() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  static constexpr int burst_wait_ms = 50;

  std::filesystem::path path_;
  syslog_identity id_;
  int fd_ = -1;
};

}  // namespace

syslog_severity audit_severity(const boost::json::object& record) noexcept {
  const auto event = text_field(record, "event");
  const auto result = text_field(record, "result");
  if (event == "lockout") return syslog_severity::warning;
  if ((event == "auth" || event == "config_reload") && result != "success") return syslog_severity::warning;
  if (event == "connection_refused") return syslog_severity::notice;
  if (event == "session_end") {
    const auto outcome = text_field(record, "outcome");
    if (outcome != "ok" && outcome != "client_closed" && outcome != "shutdown") return syslog_severity::notice;
  }
  return syslog_severity::info;
}

std::string syslog_hostname() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "-";
  return printable_field(name, 255);
}

std::string rfc5424_message(const syslog_identity& id, const audit_entry& entry, std::size_t max_size) {
  std::string header = "<" + std::to_string(id.facility * 8 + static_cast<int>(entry.severity)) + ">1 " +
                       printable_field(entry.time, 64) + " " + printable_field(id.hostname, 255) + " " +
                       printable_field(id.app_name, 48) + " " + std::to_string(id.pid) + " " +
                       printable_field(entry.event, 32) + " - ";
  std::string_view record = entry.line;
  if (!record.empty() && record.back() == '\n') record.remove_suffix(1);
  if (header.size() + record.size() <= max_size) return header.append(record);
  std::string stub = truncated_record(entry);
  if (header.size() + stub.size() <= max_size) return header.append(stub);
  return header.append(R"({"truncated":true})");
}

std::shared_ptr<audit_sink> open_syslog_sink(const audit_sink_config& config) {
  auto sink = std::make_shared<syslog_sink>(config);
  if (int err = sink->connect()) {
    log_warning("audit sink " + sink->label() + " cannot be reached: " + std::strerror(err) +
                "; its records are dropped and counted until it can (tried again with each record)");
    sink->failing = true;
    sink->health.set_up(false);
  }
  return sink;
}

}  // namespace vncgate::gateway
