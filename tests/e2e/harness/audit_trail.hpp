// audit_trail.hpp — reading the gateway's JSON Lines audit file while it is written.
//
// Each read parses the whole file again (it is small in tests); a last line without its
// newline is still being written and is skipped. Lines that are not JSON objects are
// counted as malformed: the gateway must never write one. Session lookups go through
// the connection_accepted line whose "source" is the client's own address, which the
// test knows from its socket. Blocking (polls the file); any thread.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace vncgate::e2e {

using namespace std::chrono_literals;
using audit_event = boost::json::object;

class audit_trail {
 public:
  explicit audit_trail(std::filesystem::path path) : path_(std::move(path)) {}

  const std::filesystem::path& path() const noexcept { return path_; }
  std::vector<audit_event> events() const;
  // events() once the file has stopped growing: the gateway's writer lets records
  // gather for a few milliseconds before writing them (gateway/audit.cpp), so a
  // snapshot taken right after an action waits for that action's records.
  std::vector<audit_event> settled_events() const;
  std::vector<std::string> malformed_lines() const;
  std::string raw() const;

  std::optional<audit_event> wait_for(const std::function<bool(const audit_event&)>& match,
                                      std::chrono::milliseconds timeout = 5s) const;
  // The session id from the newest connection_accepted line with this source
  // ("127.0.0.1:PORT"; ports are reused after many connections).
  std::optional<std::string> session_of(const std::string& source, std::chrono::milliseconds timeout = 5s) const;
  std::vector<audit_event> events_of(const std::string& session) const;
  std::optional<audit_event> wait_session_end(const std::string& session, std::chrono::milliseconds timeout = 8s) const;

 private:
  std::filesystem::path path_;
};

// Field access that never throws: "" / nullopt when absent or of another type.
std::string text_of(const audit_event& event, std::string_view key);
std::optional<double> number_of(const audit_event& event, std::string_view key);
std::optional<bool> flag_of(const audit_event& event, std::string_view key);
bool is_event(const audit_event& event, std::string_view name);

}  // namespace vncgate::e2e
