// config_yaml.cpp — checked mappings and typed value readers for load_config.
#include "gateway/config_yaml.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>
#include <limits>

namespace vncgate::gateway::config_detail {

namespace {

using std::chrono::milliseconds;

std::string join(std::span<const std::string_view> words) {
  std::string out;
  for (auto w : words) {
    if (!out.empty()) out += ", ";
    out += w;
  }
  return out;
}

// Levenshtein distance where swapping two neighbours also counts as one edit ("hots").
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// The closest known key, if it is close enough to be a likely typo.
std::optional<std::string_view> closest(std::string_view key,
                                        std::span<const std::string_view> known) {
  std::optional<std::string_view> best;
  std::size_t best_distance = std::max<std::size_t>(1, std::min<std::size_t>(2, key.size() / 3));
  for (auto k : known) {
    const auto d = edit_distance(key, k);
    if (d <= best_distance) {
      best = k;
      best_distance = d;
    }
  }
  return best;
}

bool is_value(const field& f) { return f.value.IsScalar(); }

}  // namespace

void error_list::add(const YAML::Mark& at, std::string message) {
  if (at.is_null()) return add_unplaced(std::move(message));
  out_.push_back({file_, at.line + 1, at.column + 1, std::move(message)});
}

void error_list::add(const field& at, std::string message) { add(at.mark, std::move(message)); }

void error_list::add_unplaced(std::string message) {
  out_.push_back({file_, 0, 0, std::move(message)});
}

yaml_map::yaml_map(const field& f, std::string_view what, std::span<const std::string_view> known,
                   std::span<const std::string_view> not_supported, error_list& errors)
    : mark_(f.mark), what_(what), errors_(errors) {
  if (!f.present()) return;
  if (!f.value.IsMap()) {
    errors_.add(f, "expected a mapping for " + what_);
    return;
  }
  valid_ = true;
  for (const auto& kv : f.value) {
    if (!kv.first.IsScalar()) {
      errors_.add(kv.first, "expected a plain key in " + what_);
      continue;
    }
    const std::string key = kv.first.Scalar();
    const bool seen = std::any_of(entries_.begin(), entries_.end(),
                                  [&](const entry& e) { return e.key == key; });
    if (std::find(known.begin(), known.end(), key) != known.end()) {
      if (seen) {
        errors_.add(kv.first, "duplicate key '" + key + "' in " + what_);
      } else {
        entries_.push_back({key, field(kv.second, kv.first), kv.first.Mark()});
      }
    } else if (std::find(not_supported.begin(), not_supported.end(), key) !=
               not_supported.end()) {
      errors_.add(kv.first, key + " is not supported yet");
    } else {
      std::string message =
          "unknown key '" + key + "' in " + what_ + "; expected one of: " + join(known);
      if (auto near = closest(key, known)) message += "; did you mean '" + std::string(*near) + "'?";
      errors_.add(kv.first, std::move(message));
    }
  }
}

field yaml_map::get(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.key == key) return e.value;
  }
  return field{};
}

YAML::Mark yaml_map::key_mark(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.key == key) return e.key_mark;
  }
  return YAML::Mark::null_mark();
}

field yaml_map::require(std::string_view key) const {
  auto value = get(key);
  if (valid_ && !value.present()) {
    errors_.add(mark_, what_ + " is missing '" + std::string(key) + "'");
  }
  return value;
}

std::optional<std::string> read_string(const field& n, std::string_view name, error_list& e) {
  if (!n.present()) return std::nullopt;
  if (!is_value(n) || n.value.Scalar().empty()) {
    e.add(n, "expected a non-empty string for " + std::string(name));
    return std::nullopt;
  }
  return n.value.Scalar();
}

std::optional<std::int64_t> read_integer(const field& n, std::string_view name,
                                         std::int64_t min, std::int64_t max, error_list& e) {
  if (!n.present()) return std::nullopt;
  std::int64_t value = 0;
  bool ok = is_value(n);
  if (ok) {
    const std::string& s = n.value.Scalar();
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    ok = ec == std::errc{} && end == s.data() + s.size() && !s.empty() && value >= min &&
         value <= max;
  }
  if (!ok) {
    e.add(n, "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                 " for " + std::string(name));
    return std::nullopt;
  }
  return value;
}

std::optional<bool> read_bool(const field& n, std::string_view name, error_list& e) {
  // Only the YAML 1.2 words: "yes"/"on" are YAML 1.1 and too easy to write by accident.
  if (!n.present()) return std::nullopt;
  if (is_value(n)) {
    const std::string& s = n.value.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  e.add(n, "expected true or false for " + std::string(name));
  return std::nullopt;
}

std::optional<milliseconds> parse_duration(std::string_view text) noexcept {
  if (text == "0") return milliseconds{0};
  // Ten years: far above any limit the schema sets, far below overflow.
  constexpr std::int64_t ceiling = 10LL * 366 * 24 * 3600 * 1000;
  std::int64_t total = 0;
  std::size_t i = 0;
  if (text.empty()) return std::nullopt;
  while (i < text.size()) {
    std::int64_t number = 0;
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      number = number * 10 + (text[i] - '0');
      if (number > ceiling) return std::nullopt;
      ++i;
    }
    if (i == start) return std::nullopt;
    std::int64_t unit = 0;
    if (text.substr(i, 2) == "ms") {
      unit = 1;
      i += 2;
    } else if (i < text.size() && (text[i] == 's' || text[i] == 'm' || text[i] == 'h')) {
      unit = text[i] == 's' ? 1000 : text[i] == 'm' ? 60'000 : 3'600'000;
      ++i;
    } else {
      return std::nullopt;
    }
    if (number > (ceiling - total) / unit) return std::nullopt;
    total += number * unit;
  }
  return milliseconds{total};
}

std::string format_duration(milliseconds d) {
  const auto ms = d.count();
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::optional<milliseconds> read_duration(const field& n, std::string_view name,
                                          milliseconds min, milliseconds max, error_list& e) {
  if (!n.present()) return std::nullopt;
  const auto d = is_value(n) ? parse_duration(n.value.Scalar()) : std::nullopt;
  if (!d) {
    e.add(n, "expected a duration such as 500ms, 10s, 5m or 8h for " + std::string(name));
    return std::nullopt;
  }
  if (*d < min || *d > max) {
    e.add(n, "expected a duration from " + format_duration(min) + " to " + format_duration(max) +
                 " for " + std::string(name));
    return std::nullopt;
  }
  return d;
}

std::optional<std::vector<std::string>> read_string_list(const field& n,
                                                         std::string_view name, error_list& e) {
  if (!n.present()) return std::nullopt;
  const std::string message = "expected a list of strings for " + std::string(name);
  if (!n.value.IsSequence()) {
    e.add(n, message);
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (const auto& node : n.value) {
    const field item(node);
    if (!is_value(item) || node.Scalar().empty()) {
      e.add(item.mark.is_null() ? n.mark : item.mark, message);
      ok = false;
    } else {
      out.push_back(node.Scalar());
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<policy::cidr>> read_cidr_list(const field& n, std::string_view name,
                                                        error_list& e) {
  if (!n.present()) return std::nullopt;
  const std::string shape = "expected a list of addresses or CIDR ranges for " + std::string(name);
  if (!n.value.IsSequence()) {
    e.add(n, shape);
    return std::nullopt;
  }
  std::vector<policy::cidr> out;
  bool ok = true;
  for (const auto& node : n.value) {
    const field item(node);
    const auto& place = item.mark.is_null() ? n.mark : item.mark;
    if (!is_value(item) || node.Scalar().empty()) {
      e.add(place, shape);
      ok = false;
      continue;
    }
    auto parsed = policy::parse_cidr(node.Scalar());
    if (!parsed.value) {
      e.add(place, std::move(parsed.error));
      ok = false;
      continue;
    }
    out.push_back(*parsed.value);
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::filesystem::path> read_path(const field& n, std::string_view name,
                                               const std::filesystem::path& base_dir,
                                               error_list& e) {
  auto text = read_string(n, name, e);
  if (!text) return std::nullopt;
  std::filesystem::path p(*text);
  if (p.is_relative()) p = base_dir / p;
  return p.lexically_normal();
}

std::optional<endpoint> read_endpoint(const field& n, std::string_view name, error_list& e) {
  auto text = read_string(n, name, e);
  if (!text) return std::nullopt;
  const std::string_view s = *text;
  const std::string shape = "expected host:port for " + std::string(name) +
                            ", such as 0.0.0.0:5900 or [::]:5900";
  endpoint out;
  std::string_view port;
  if (s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string_view::npos || close == 1 || close + 1 >= s.size() ||
        s[close + 1] != ':') {
      e.add(n, shape);
      return std::nullopt;
    }
    out.host = std::string(s.substr(1, close - 1));
    port = s.substr(close + 2);
  } else {
    const auto colon = s.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      e.add(n, shape);
      return std::nullopt;
    }
    out.host = std::string(s.substr(0, colon));
    if (out.host.find(':') != std::string::npos) {
      e.add(n, "an IPv6 address in " + std::string(name) + " needs brackets, such as [::1]:5900");
      return std::nullopt;
    }
    port = s.substr(colon + 1);
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value < 1 ||
      value > 65535) {
    e.add(n, "expected a port from 1 to 65535 in " + std::string(name));
    return std::nullopt;
  }
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

void wipe(std::string& s) noexcept {
  s.resize(s.capacity());
  OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

}  // namespace vncgate::gateway::config_detail
