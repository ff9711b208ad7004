// The Grafana dashboard (deploy/grafana/vncgate-dashboard.json) against what it queries:
// every panel query is PromQL that promtool accepts, every metric it names is declared in
// gateway/metrics.cpp (a renamed metric breaks this test, not the dashboard in
// production), counters are only read through rate()/increase() and gauges never are,
// every selector follows the $instance variable, and no data source uid is hard-coded.
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const json::value& dashboard() {
  static const json::value parsed = json::parse(read_text(VNCGATE_DASHBOARD_JSON));
  return parsed;
}

// Every panel, rows' nested panels included.
void collect_panels(const json::array& panels, std::vector<const json::object*>& out) {
  for (const auto& p : panels) {
    const auto& panel = p.as_object();
    out.push_back(&panel);
    if (auto nested = panel.if_contains("panels")) collect_panels(nested->as_array(), out);
  }
}

std::vector<const json::object*> panels() {
  std::vector<const json::object*> out;
  collect_panels(dashboard().at("panels").as_array(), out);
  return out;
}

std::vector<std::string> expressions() {
  std::vector<std::string> out;
  for (const auto* panel : panels())
    if (auto targets = panel->if_contains("targets"))
      for (const auto& t : targets->as_array()) out.emplace_back(t.at("expr").as_string());
  return out;
}

// The metric names in an expression, with where each starts.
std::vector<std::pair<std::string, std::size_t>> metric_names(const std::string& expr) {
  static const std::regex name("vncgate_[a-z0-9_]+");
  std::vector<std::pair<std::string, std::size_t>> out;
  for (std::sregex_iterator m(expr.begin(), expr.end(), name), end; m != end; ++m)
    out.emplace_back(m->str(), static_cast<std::size_t>(m->position()));
  return out;
}

bool ends_with_any(const std::string& s, std::initializer_list<std::string_view> suffixes) {
  for (auto suffix : suffixes)
    if (s.ends_with(suffix)) return true;
  return false;
}

// The family a series name belongs to: histogram series lose _bucket, _sum, _count.
std::string family_name(std::string name) {
  for (std::string_view suffix : {"_bucket", "_sum", "_count"})
    if (name.ends_with(suffix)) return name.substr(0, name.size() - suffix.size());
  return name;
}

// What Grafana substitutes before the query reaches Prometheus.
std::string with_variables_expanded(const std::string& expr) {
  static const std::regex interval(R"(\$\{?__(rate_interval|interval|range)\}?)");
  static const std::regex variable(R"(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)");
  return std::regex_replace(std::regex_replace(expr, interval, "5m"), variable, ".+");
}

struct command_result {
  int status = -1;
  std::string output;
};

command_result run(const std::string& command) {
  struct pipe_closer {
    int* status;
    void operator()(FILE* f) const { *status = ::pclose(f); }
  };
  command_result result;
  int status = -1;
  {
    std::unique_ptr<FILE, pipe_closer> pipe(::popen((command + " 2>&1").c_str(), "r"), pipe_closer{&status});
    REQUIRE(pipe);
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe.get())) result.output.append(buffer, n);
  }
  result.status = (status != -1 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  return result;
}

struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("vncgate-dashboard-test-" + std::to_string(::getpid()));
  temp_dir() { fs::create_directories(path); }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

void check_datasources(const json::value& v, const std::string& where) {
  if (v.is_array()) {
    for (const auto& e : v.as_array()) check_datasources(e, where);
  } else if (v.is_object()) {
    for (const auto& [key, value] : v.as_object()) {
      if (key == "datasource") {
        INFO(where << ": a datasource must be {type: prometheus, uid: ${datasource}}");
        REQUIRE(value.is_object());
        CHECK(value.at("uid") == "${datasource}");
        CHECK(value.at("type") == "prometheus");
      }
      check_datasources(value, where);
    }
  }
}

}  // namespace

TEST_CASE("dashboard: schema, variables and data sources", "[deploy][dashboard]") {
  const auto& d = dashboard().as_object();
  CHECK(d.at("schemaVersion").to_number<int>() >= 36);
  CHECK_FALSE(d.at("uid").as_string().empty());
  const auto& variables = d.at("templating").at("list").as_array();
  const json::object* datasource = nullptr;
  const json::object* instance = nullptr;
  for (const auto& v : variables) {
    if (v.at("name") == "datasource") datasource = &v.as_object();
    if (v.at("name") == "instance") instance = &v.as_object();
  }
  REQUIRE(datasource);
  CHECK(datasource->at("type") == "datasource");
  CHECK(datasource->at("query") == "prometheus");
  REQUIRE(instance);
  CHECK(instance->at("type") == "query");
  CHECK(instance->at("definition") == "label_values(vncgate_build_info, instance)");
  CHECK(instance->at("query").at("query") == "label_values(vncgate_build_info, instance)");
  check_datasources(dashboard(), "dashboard");
}

TEST_CASE("dashboard: every panel has queries, ids are unique, panels fit the grid", "[deploy][dashboard]") {
  std::set<std::int64_t> ids;
  for (const auto* panel : panels()) {
    INFO("panel " << panel->at("title"));
    CHECK(ids.insert(panel->at("id").to_number<std::int64_t>()).second);
    const auto& grid = panel->at("gridPos");
    CHECK(grid.at("x").to_number<int>() + grid.at("w").to_number<int>() <= 24);
    if (panel->at("type") == "row") continue;
    REQUIRE(panel->contains("targets"));
    CHECK_FALSE(panel->at("targets").as_array().empty());
    for (const auto& t : panel->at("targets").as_array()) CHECK_FALSE(t.at("expr").as_string().empty());
  }
  CHECK(expressions().size() >= 20);
}

TEST_CASE("dashboard: every query is PromQL that promtool accepts", "[deploy][dashboard]") {
  temp_dir dir;
  const auto rules = dir.path / "dashboard-rules.yaml";
  {
    std::ofstream out(rules);
    out << "groups:\n  - name: vncgate_dashboard\n    rules:\n";
    int n = 0;
    for (const auto& expr : expressions()) {
      REQUIRE(expr.find('\n') == std::string::npos);
      out << "      - record: vncgate:dashboard_check_" << ++n << "\n        expr: |-\n          "
          << with_variables_expanded(expr) << "\n";
    }
  }
  auto checked = run(std::string(VNCGATE_PROMTOOL) + " check rules " + rules.string());
  INFO("promtool check rules:\n" << checked.output);
  CHECK(checked.status == 0);
  CHECK(checked.output.find("SUCCESS") != std::string::npos);
}

TEST_CASE("dashboard: every metric it names is declared in gateway/metrics.cpp", "[deploy][dashboard]") {
  const std::string source = read_text(VNCGATE_METRICS_SOURCE);
  auto queries = expressions();
  // The instance variable's query names a metric too.
  for (const auto& v : dashboard().at("templating").at("list").as_array())
    if (auto definition = v.as_object().if_contains("definition")) queries.emplace_back(definition->as_string());
  std::set<std::string> used;
  for (const auto& expr : queries)
    for (const auto& [name, at] : metric_names(expr)) used.insert(family_name(name));
  CHECK(used.size() >= 15);
  std::string undeclared;
  for (const auto& name : used)
    if (source.find('"' + name + '"') == std::string::npos) undeclared += " " + name;
  INFO("used by the dashboard, not declared in " << VNCGATE_METRICS_SOURCE << ":" << undeclared);
  CHECK(undeclared.empty());
}

TEST_CASE("dashboard: counters through rate() or increase(), gauges as they are, all by $instance",
          "[deploy][dashboard]") {
  static const std::regex counter_read(R"((rate|increase)\($)");
  for (const auto& expr : expressions()) {
    for (const auto& [name, at] : metric_names(expr)) {
      INFO(name << " in: " << expr);
      const bool counter = ends_with_any(name, {"_total", "_bucket", "_sum", "_count"});
      const bool through_rate = std::regex_search(expr.substr(0, at), counter_read);
      CHECK(counter == through_rate);
      // The selector right after the name filters on the instance variable.
      const auto open = at + name.size();
      REQUIRE(open < expr.size());
      REQUIRE(expr[open] == '{');
      const auto close = expr.find('}', open);
      REQUIRE(close != std::string::npos);
      CHECK(expr.substr(open, close - open + 1).find(R"(instance=~"$instance")") != std::string::npos);
    }
  }
}
