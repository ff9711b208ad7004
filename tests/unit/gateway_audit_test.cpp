// gateway_audit_test.cpp — the audit trail's sinks and queue: lines reach a file whole
// from many threads; a syslog sink sends RFC 5424 datagrams whose every header field
// is checked; a sink that blocks or fails never blocks write() and its losses are
// counted (also in the metrics); SIGUSR1's reopen after a rename, adopt() on reload and
// the destructor's flush lose nothing; the audit keys of the configuration.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "config_test_support.hpp"
#include "gateway/audit.hpp"
#include "gateway/audit_syslog.hpp"
#include "gateway/metrics.hpp"

using namespace vncgate::gateway;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct scratch_dir {
  fs::path path;
  scratch_dir() {
    std::string tmpl = (fs::temp_directory_path() / "vncgate-audit-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~scratch_dir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

std::vector<std::string> lines_of(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::unique_ptr<audit_log> open_log(std::vector<audit_sink_config> sinks, audit_queue_limits limits = {}) {
  auto log = audit_log::open(sinks, limits);
  REQUIRE(log);
  return std::move(*log);
}

audit_sink_config file_sink(const fs::path& p) { return {audit_sink_kind::file, p}; }
audit_sink_config syslog_sink(const fs::path& socket, int facility = 10, std::string app = "vncgate") {
  return {audit_sink_kind::syslog, socket, facility, std::move(app)};
}

// A unix datagram socket the test binds: the syslog daemon's end.
class syslog_receiver {
 public:
  explicit syslog_receiver(const fs::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    ::unlink(path.c_str());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~syslog_receiver() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  std::optional<std::string> receive(std::chrono::milliseconds timeout = 2s) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    std::string buf(65536, '\0');
    ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n < 0) return std::nullopt;
    buf.resize(static_cast<std::size_t>(n));
    return buf;
  }
  std::size_t drain() {
    std::size_t n = 0;
    while (receive(0ms)) ++n;
    return n;
  }

 private:
  fs::path path_;
  int fd_ = -1;
};

// RFC 5424 §6: HEADER SP STRUCTURED-DATA SP MSG, each header field checked below.
struct rfc5424 {
  int pri = -1;
  std::string timestamp, hostname, app_name, procid, msgid, structured_data, msg;
};

std::optional<rfc5424> parse_rfc5424(const std::string& datagram) {
  static const std::regex form(R"(^<(\d{1,3})>1 (\S+) (\S{1,255}) (\S{1,48}) (\S{1,128}) (\S{1,32}) (-) (.*)$)");
  std::smatch m;
  if (!std::regex_match(datagram, m, form)) return std::nullopt;
  return rfc5424{std::stoi(m[1]), m[2], m[3], m[4], m[5], m[6], m[7], m[8]};
}

bool is_rfc3339_utc(const std::string& t) {
  static const std::regex form(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
  return std::regex_match(t, form);
}

boost::json::object parsed(const std::string& text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(v.is_object());
  return v.as_object();
}

std::uint64_t dropped_of(const audit_log& log, std::size_t sink = 0) { return log.stats().at(sink).dropped; }

}  // namespace

TEST_CASE("audit: records from many threads reach a file sink as whole lines", "[gateway]") {
  scratch_dir d;
  const auto file = d.path / "audit.jsonl";
  {
    auto log = open_log({file_sink(file)});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&log, t] {
        for (int i = 0; i < 500; ++i)
          log->write({{"event", "auth"}, {"thread", t}, {"n", i}, {"pad", std::string(300, 'x')}});
      });
    for (auto& t : threads) t.join();
    REQUIRE(log->flush(5s));
    CHECK(lines_of(file).size() == 2000);
  }
  std::vector<int> next(4, 0);
  for (const auto& line : lines_of(file)) {
    auto r = parsed(line);
    REQUIRE(r.begin()->key() == "time");
    CHECK(is_rfc3339_utc(std::string(r.at("time").as_string())));
    auto t = r.at("thread").as_int64();
    CHECK(r.at("n").as_int64() == next.at(static_cast<std::size_t>(t))++);  // one thread's order kept
  }
  CHECK(next == std::vector<int>{500, 500, 500, 500});
}

TEST_CASE("audit: a syslog sink sends one RFC 5424 datagram per record", "[gateway]") {
  scratch_dir d;
  syslog_receiver rx(d.path / "log");
  auto log = open_log({syslog_sink(d.path / "log", 19, "vncgate-test")});  // local3
  const boost::json::object failure{{"event", "auth"}, {"result", "failure"}, {"user", "alice"}, {"session", "s1"}};
  const boost::json::object start{{"event", "session_start"}, {"user", "alice"}, {"session", "s1"}};
  log->write(failure);
  log->write(start);
  for (const auto* record : {&failure, &start}) {
    auto datagram = rx.receive();
    REQUIRE(datagram);
    INFO(*datagram);
    auto m = parse_rfc5424(*datagram);
    REQUIRE(m);
    CHECK(m->pri == 19 * 8 + (record == &failure ? 4 : 6));  // warning for a failed login, info otherwise
    CHECK(is_rfc3339_utc(m->timestamp));
    CHECK(m->hostname == syslog_hostname());
    CHECK(m->app_name == "vncgate-test");
    CHECK(m->procid == std::to_string(::getpid()));
    CHECK(m->msgid == std::string(record->at("event").as_string()));
    REQUIRE(m->msg.front() == '{');  // no BOM
    auto msg = parsed(m->msg);
    CHECK(msg.at("time").as_string() == m->timestamp);
    for (const auto& kv : *record) CHECK(msg.at(kv.key()) == kv.value());
    CHECK(msg.size() == record->size() + 1);
  }
  CHECK(log->stats().at(0).up);
  CHECK(log->stats().at(0).dropped == 0);
}

TEST_CASE("audit: a record too long for a datagram is replaced by a valid short one", "[gateway]") {
  scratch_dir d;
  syslog_receiver rx(d.path / "log");
  const auto file = d.path / "audit.jsonl";
  auto log = open_log({syslog_sink(d.path / "log"), file_sink(file)});
  log->write({{"event", "session_end"}, {"session", "s9"}, {"outcome", "ok"}, {"reason", std::string(20000, 'r')}});
  auto datagram = rx.receive();
  REQUIRE(datagram);
  CHECK(datagram->size() <= syslog_max_message);
  auto m = parse_rfc5424(*datagram);
  REQUIRE(m);
  auto msg = parsed(m->msg);
  CHECK(msg.at("truncated") == true);
  CHECK(msg.at("event") == "session_end");
  CHECK(msg.at("session") == "s9");
  CHECK(msg.at("record_bytes").to_number<double>() > 20000);
  REQUIRE(log->flush(2s));
  auto lines = lines_of(file);
  REQUIRE(lines.size() == 1);
  CHECK(parsed(lines[0]).at("reason").as_string().size() == 20000);  // the file keeps it whole
}

TEST_CASE("audit: RFC 5424 fields stay within their bounds", "[gateway]") {
  syslog_identity id{23, "host name\twith\x01junk", "app", 7};
  audit_entry e{"{\"event\":\"x\"}\n", std::string(40, 'e') + " \x7f", "2026-11-21T13:05:43.123Z",
                static_cast<std::uint8_t>(syslog_severity::notice)};
  auto m = parse_rfc5424(rfc5424_message(id, e));
  REQUIRE(m);
  CHECK(m->pri == 23 * 8 + 5);
  CHECK(m->hostname == "hostnamewithjunk");
  CHECK(m->msgid == std::string(32, 'e'));
  CHECK(m->msg == "{\"event\":\"x\"}");
  e.event.clear();
  CHECK(parse_rfc5424(rfc5424_message(id, e))->msgid == "-");
}

TEST_CASE("audit: severities follow the fixed map", "[gateway]") {
  using s = syslog_severity;
  CHECK(audit_severity({{"event", "lockout"}}) == s::warning);
  CHECK(audit_severity({{"event", "auth"}, {"result", "failure"}}) == s::warning);
  CHECK(audit_severity({{"event", "auth"}, {"result", "success"}}) == s::info);
  CHECK(audit_severity({{"event", "connection_refused"}}) == s::notice);
  CHECK(audit_severity({{"event", "session_end"}, {"outcome", "auth_failed"}}) == s::notice);
  CHECK(audit_severity({{"event", "session_end"}, {"outcome", "ok"}}) == s::info);
  CHECK(audit_severity({{"event", "config_reload"}, {"result", "failure"}}) == s::warning);
  CHECK(audit_severity({{"event", "connection_accepted"}}) == s::info);
}

TEST_CASE("audit: a full syslog socket never blocks write() and its losses are counted", "[gateway]") {
  scratch_dir d;
  syslog_receiver rx(d.path / "log");  // never read until the end
  auto log = open_log({syslog_sink(d.path / "log")});
  vncgate::gateway::metrics stats("test");
  log->report_to(stats);
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 3000; ++i) log->write({{"event", "auth"}, {"n", i}, {"pad", std::string(1000, 'p')}});
  CHECK(std::chrono::steady_clock::now() - started < 2s);
  REQUIRE(log->flush(5s));
  const auto after_flood = log->stats().at(0);
  CHECK(after_flood.dropped > 0);
  CHECK(after_flood.errors == after_flood.dropped);
  CHECK_FALSE(after_flood.up);
  const std::string label = "sink=\"syslog:" + (d.path / "log").string() + "\"";
  auto text = stats.text();
  CHECK(text.find("vncgate_audit_records_dropped_total{" + label + "} " + std::to_string(after_flood.dropped)) !=
        std::string::npos);
  CHECK(text.find("vncgate_audit_sink_up{" + label + "} 0") != std::string::npos);
  // Read by the daemon again: the sink works, and says so.
  CHECK(rx.drain() + after_flood.dropped == 3000);
  log->write({{"event", "auth"}, {"n", "after"}});
  REQUIRE(log->flush(2s));
  CHECK(rx.receive());
  CHECK(log->stats().at(0).up);
  CHECK(stats.text().find("vncgate_audit_sink_up{" + label + "} 1") != std::string::npos);
}

TEST_CASE("audit: a writer stuck on a sink never blocks write() and a full queue drops and counts", "[gateway]") {
  scratch_dir d;
  const auto file = d.path / "audit.jsonl";
  int pipe_fds[2];
  REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
  ::fcntl(pipe_fds[1], F_SETPIPE_SZ, 4096);
  const int saved_stdout = ::dup(STDOUT_FILENO);
  REQUIRE(saved_stdout >= 0);
  std::fflush(stdout);
  // stdout is a pipe nobody reads: no assertion may print until it is restored.
  ::dup2(pipe_fds[1], STDOUT_FILENO);
  std::chrono::steady_clock::duration took{};
  std::uint64_t dropped_stdout = 0, dropped_file = 0;
  {
    auto log = open_log({{audit_sink_kind::stdout_sink, {}}, file_sink(file)}, {.max_records = 100});
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 1000; ++i) log->write({{"event", "auth"}, {"n", i}, {"pad", std::string(500, 'p')}});
    took = std::chrono::steady_clock::now() - started;
    dropped_stdout = dropped_of(*log, 0);
    dropped_file = dropped_of(*log, 1);
    // Someone reads again: the destructor's flush can finish.
    std::thread reader([fd = pipe_fds[0]] {
      char buf[65536];
      while (::read(fd, buf, sizeof buf) > 0) {
      }
    });
    log.reset();
    ::dup2(saved_stdout, STDOUT_FILENO);
    ::close(pipe_fds[1]);
    reader.join();
  }
  ::close(saved_stdout);
  ::close(pipe_fds[0]);
  CHECK(took < 1s);
  // The pipe holds a few lines and the queue 100; the rest of the 1000 were dropped.
  CHECK(dropped_stdout >= 800);
  CHECK(dropped_file == dropped_stdout);  // a full queue drops the record for every sink
  CHECK(lines_of(file).size() == 1000 - dropped_file);
}

TEST_CASE("audit: reopen after a rename writes to a new file and loses nothing", "[gateway]") {
  scratch_dir d;
  const auto file = d.path / "audit.jsonl";
  auto log = open_log({file_sink(file)});
  for (int i = 0; i < 10; ++i) log->write({{"event", "auth"}, {"n", i}});
  fs::rename(file, d.path / "audit.jsonl.1");
  log->reopen();
  for (int i = 10; i < 20; ++i) log->write({{"event", "auth"}, {"n", i}});
  REQUIRE(log->flush(2s));
  auto old_lines = lines_of(d.path / "audit.jsonl.1");
  auto new_lines = lines_of(file);
  REQUIRE(old_lines.size() == 10);
  REQUIRE(new_lines.size() == 10);
  CHECK(parsed(old_lines.back()).at("n") == 9);
  CHECK(parsed(new_lines.front()).at("n") == 10);
}

TEST_CASE("audit: adopt sends later records to the new sinks and earlier ones to the old", "[gateway]") {
  scratch_dir d;
  auto log = open_log({file_sink(d.path / "a.jsonl")});
  for (int i = 0; i < 100; ++i) log->write({{"event", "before"}, {"n", i}});
  {
    auto fresh = open_log({file_sink(d.path / "b.jsonl")});
    log->adopt(*fresh);
  }
  for (int i = 0; i < 100; ++i) log->write({{"event", "after"}, {"n", i}});
  REQUIRE(log->flush(2s));
  auto a = lines_of(d.path / "a.jsonl");
  auto b = lines_of(d.path / "b.jsonl");
  REQUIRE(a.size() == 100);
  REQUIRE(b.size() == 100);
  for (const auto& line : a) CHECK(parsed(line).at("event") == "before");
  for (const auto& line : b) CHECK(parsed(line).at("event") == "after");
  REQUIRE(log->stats().size() == 1);
  CHECK(log->stats()[0].sink == "file:" + (d.path / "b.jsonl").string());
}

TEST_CASE("audit: destruction writes what is still queued", "[gateway]") {
  scratch_dir d;
  const auto file = d.path / "audit.jsonl";
  {
    auto log = open_log({file_sink(file)});
    for (int i = 0; i < 20000; ++i) log->write({{"event", "session_end"}, {"n", i}});
  }
  auto lines = lines_of(file);
  REQUIRE(lines.size() == 20000);
  CHECK(parsed(lines.back()).at("n") == 19999);
}

TEST_CASE("audit: a syslog socket missing at start is retried and the metrics say so", "[gateway]") {
  scratch_dir d;
  const auto socket = d.path / "log";
  auto opened = audit_log::open({syslog_sink(socket)});
  REQUIRE(opened);  // not a start-up error
  auto& log = **opened;
  vncgate::gateway::metrics stats("test");
  log.report_to(stats);
  const std::string label = "sink=\"syslog:" + socket.string() + "\"";
  CHECK(stats.text().find("vncgate_audit_sink_up{" + label + "} 0") != std::string::npos);
  log.write({{"event", "auth"}, {"n", 1}});
  REQUIRE(log.flush(2s));
  CHECK(log.stats().at(0).errors == 1);
  CHECK(stats.text().find("vncgate_audit_sink_errors_total{" + label + "} 1") != std::string::npos);
  syslog_receiver rx(socket);
  log.write({{"event", "auth"}, {"n", 2}});
  auto datagram = rx.receive();
  REQUIRE(datagram);
  CHECK(parsed(parse_rfc5424(*datagram)->msg).at("n") == 2);
  REQUIRE(log.flush(2s));
  CHECK(log.stats().at(0).up);
}

TEST_CASE("audit: a syslog daemon that restarts is reached again", "[gateway]") {
  scratch_dir d;
  const auto socket = d.path / "log";
  auto rx = std::make_unique<syslog_receiver>(socket);
  auto log = open_log({syslog_sink(socket)});
  log->write({{"event", "auth"}, {"n", 1}});
  REQUIRE(rx->receive());
  rx.reset();
  log->write({{"event", "auth"}, {"n", 2}});
  REQUIRE(log->flush(2s));
  CHECK_FALSE(log->stats().at(0).up);
  rx = std::make_unique<syslog_receiver>(socket);
  log->write({{"event", "auth"}, {"n", 3}});
  auto datagram = rx->receive();
  REQUIRE(datagram);
  CHECK(parsed(parse_rfc5424(*datagram)->msg).at("n") == 3);
  REQUIRE(log->flush(2s));
  CHECK(log->stats().at(0).up);
  CHECK(log->stats().at(0).dropped == 1);
}

namespace cfg = vncgate::gateway::tests;

TEST_CASE("audit config: syslog sinks with their defaults and keys", "[gateway]") {
  cfg::config_dir d;
  auto loaded = d.load(cfg::yaml(R"(
audit:
  - { type: syslog }
  - { type: syslog, socket: /run/other.sock, facility: local3, app_name: bastion-1 }
  - { type: file, path: audit.jsonl }
)") + cfg::rest_without(""));
  INFO((loaded ? std::string() : cfg::dump(loaded.error())));
  REQUIRE(loaded);
  const auto& a = loaded->audit;
  REQUIRE(a.size() == 3);
  CHECK(a[0].kind == audit_sink_kind::syslog);
  CHECK(a[0].path == "/dev/log");
  CHECK(a[0].facility == 10);
  CHECK(a[0].app_name == "vncgate");
  CHECK(a[1].path == "/run/other.sock");
  CHECK(a[1].facility == 19);
  CHECK(a[1].app_name == "bastion-1");
  CHECK(a[2].kind == audit_sink_kind::file);
}

TEST_CASE("audit config: syslog mistakes are placed at their key", "[gateway]") {
  cfg::check_case(GENERATE(values<cfg::error_case>({
      {"", "audit:\n  - { type: syslog, facility: local9 }\n", 2, 31, "expected one of user, daemon, auth"},
      {"", "audit:\n  - { type: syslog, app_name: 'two words' }\n", 2, 31, "printable ASCII characters without spaces"},
      {"", "audit:\n  - { type: syslog, path: /dev/log }\n", 2, 27, "path is only used with type: file"},
      {"", "audit:\n  - { type: file, path: a.log, socket: /dev/log }\n", 2, 40, "socket is only used with type: syslog"},
      {"", "audit:\n  - { type: stdout, facility: auth }\n", 2, 31, "facility is only used with type: syslog"},
      {"", "audit:\n  - { type: syslog }\n  - { type: syslog, socket: /dev/log }\n", 3, 5,
       "the audit sink at line 2 already writes there"},
      {"", "audit:\n  - { type: journald }\n", 2, 13, "expected file, stdout or syslog for type"},
      {"", "audit:\n  - { type: syslog, socket: /" + std::string(120, 's') + " }\n", 2, 29, "longer than 107 bytes"},
  })));
}
