#include "harness/prometheus_server.hpp"

#include <boost/json.hpp>
#include <stdexcept>

#include "harness/http_get.hpp"
#include "harness/loopback.hpp"

namespace vncgate::e2e {

prometheus_server::prometheus_server(const temp_dir& dir, std::uint16_t scrape_port) : port_(free_tcp_port()) {
  auto config = dir.write("prometheus/prometheus.yml",
                          "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                          "scrape_configs:\n  - job_name: vncgate\n    static_configs:\n"
                          "      - targets: [\"127.0.0.1:" +
                              std::to_string(scrape_port) + "\"]\n",
                          0644);
  server_ = std::make_unique<process>(process_options{
      .argv = {"prometheus", "--config.file=" + config.string(),
               "--storage.tsdb.path=" + (dir.path() / "prometheus" / "data").string(),
               "--web.listen-address=127.0.0.1:" + std::to_string(port_)},
      .stdout_file = dir.path() / "prometheus" / "prometheus.log"});
  bool ready = wait_until(
      [&] {
        if (!server_->alive()) return true;
        try {
          return http_get(port_, "/-/ready", std::chrono::seconds(2)).status == 200;
        } catch (const std::exception&) {
          return false;
        }
      },
      std::chrono::seconds(30));
  if (!ready || !server_->alive()) {
    std::string log = server_->stdout_text();
    server_->terminate();
    throw std::runtime_error("prometheus did not become ready\n" + log);
  }
}

prometheus_server::~prometheus_server() { server_->terminate(); }

std::optional<double> prometheus_server::query_value(const std::string& promql) {
  auto reply = http_get(port_, "/api/v1/query?query=" + url_encode(promql));
  last_answer_ = reply.body;
  boost::system::error_code ec;
  auto doc = boost::json::parse(reply.body, ec);
  if (ec || !doc.is_object()) return std::nullopt;
  const auto* status = doc.as_object().if_contains("status");
  if (!status || !status->is_string() || status->as_string() != "success") return std::nullopt;
  const auto& result = doc.at("data").at("result");
  if (!result.is_array() || result.as_array().size() != 1) return std::nullopt;
  const auto& value = result.as_array()[0].at("value").as_array();
  return std::stod(std::string(value.at(1).as_string()));
}

}  // namespace vncgate::e2e
