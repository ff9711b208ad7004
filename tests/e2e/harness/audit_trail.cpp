#include "harness/audit_trail.hpp"

#include <thread>

#include "harness/loopback.hpp"
#include "harness/process.hpp"

namespace vncgate::e2e {
namespace {

template <typename Visit>
void for_each_line(const std::string& text, Visit visit) {
  std::size_t start = 0;
  for (;;) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) return;  // unterminated tail: still being written
    if (end > start) visit(std::string_view(text).substr(start, end - start));
    start = end + 1;
  }
}

std::optional<audit_event> parse_object(std::string_view line) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(line, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return v.as_object();
}

}  // namespace

std::string audit_trail::raw() const { return read_text(path_); }

std::vector<audit_event> audit_trail::events() const {
  std::vector<audit_event> out;
  for_each_line(raw(), [&](std::string_view line) {
    if (auto event = parse_object(line)) out.push_back(std::move(*event));
  });
  return out;
}

std::vector<audit_event> audit_trail::settled_events() const {
  // Quiet for five times the writer's gathering time, or give up after 2 s of writing.
  std::string before = raw();
  for (int i = 0; i < 80; ++i) {
    std::this_thread::sleep_for(25ms);
    std::string now = raw();
    if (now == before) break;
    before = std::move(now);
  }
  return events();
}

std::vector<std::string> audit_trail::malformed_lines() const {
  std::vector<std::string> out;
  for_each_line(raw(), [&](std::string_view line) {
    if (!parse_object(line)) out.emplace_back(line);
  });
  return out;
}

std::optional<audit_event> audit_trail::wait_for(const std::function<bool(const audit_event&)>& match,
                                                 std::chrono::milliseconds timeout) const {
  std::optional<audit_event> found;
  wait_until(
      [&] {
        for (auto& event : events())
          if (match(event)) {
            found = std::move(event);
            return true;
          }
        return false;
      },
      timeout);
  return found;
}

std::optional<std::string> audit_trail::session_of(const std::string& source, std::chrono::milliseconds timeout) const {
  // The newest connection from `source`: after many connections from one address the
  // kernel may give a new one the source port of an old one.
  std::optional<audit_event> accepted;
  wait_until(
      [&] {
        auto all = events();
        for (auto it = all.rbegin(); it != all.rend(); ++it)
          if (is_event(*it, "connection_accepted") && text_of(*it, "source") == source) {
            accepted = std::move(*it);
            return true;
          }
        return false;
      },
      timeout);
  if (!accepted) return std::nullopt;
  if (auto s = text_of(*accepted, "session"); !s.empty()) return s;
  if (auto n = number_of(*accepted, "session")) return boost::json::serialize(accepted->at("session"));
  return std::nullopt;
}

std::vector<audit_event> audit_trail::events_of(const std::string& session) const {
  std::vector<audit_event> out;
  for (auto& event : events()) {
    const auto* s = event.if_contains("session");
    if (!s) continue;
    std::string id = s->is_string() ? std::string(s->as_string()) : boost::json::serialize(*s);
    if (id == session) out.push_back(std::move(event));
  }
  return out;
}

std::optional<audit_event> audit_trail::wait_session_end(const std::string& session,
                                                         std::chrono::milliseconds timeout) const {
  std::optional<audit_event> found;
  wait_until(
      [&] {
        for (auto& event : events_of(session))
          if (is_event(event, "session_end")) {
            found = std::move(event);
            return true;
          }
        return false;
      },
      timeout);
  return found;
}

std::string text_of(const audit_event& event, std::string_view key) {
  const auto* v = event.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::optional<double> number_of(const audit_event& event, std::string_view key) {
  const auto* v = event.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return static_cast<double>(v->as_int64());
  if (v->is_uint64()) return static_cast<double>(v->as_uint64());
  if (v->is_double()) return v->as_double();
  return std::nullopt;
}

std::optional<bool> flag_of(const audit_event& event, std::string_view key) {
  const auto* v = event.if_contains(key);
  if (!v || !v->is_bool()) return std::nullopt;
  return v->as_bool();
}

bool is_event(const audit_event& event, std::string_view name) { return text_of(event, "event") == name; }

}  // namespace vncgate::e2e
