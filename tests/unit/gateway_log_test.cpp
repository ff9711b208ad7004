// The operator's log lines: the text form, the JSON form, and peer text that tries to
// forge a second line in either.
#include <catch2/catch.hpp>
#include <boost/json/parse.hpp>

#include "gateway/log.hpp"

using namespace vncgate::gateway;

TEST_CASE("log: a text line names the time, level and session", "[gateway][log]") {
  CHECK(format_log_line(log_format::text, "2026-11-21T13:05:43.123Z", log_level::info, "5f0c", "user alice in") ==
        "2026-11-21T13:05:43.123Z info [5f0c] user alice in");
  CHECK(format_log_line(log_format::text, "T", log_level::warning, "", "no session") == "T warning no session");
  // A user name with a newline cannot start a line of its own.
  CHECK(format_log_line(log_format::text, "T", log_level::info, "s", "user a\nT error forged\r\x1b[2J") ==
        "T info [s] user a?T error forged??[2J");
}

TEST_CASE("log: a JSON line is one object with the same fields, escaped", "[gateway][log]") {
  const auto line = format_log_line(log_format::json, "2026-11-21T13:05:43.123Z", log_level::error, "5f0c",
                                    "user \"a\"\nT error forged");
  CHECK(line.find('\n') == std::string::npos);
  auto value = boost::json::parse(line);
  REQUIRE(value.is_object());
  const auto& o = value.as_object();
  CHECK(o.at("time") == "2026-11-21T13:05:43.123Z");
  CHECK(o.at("level") == "error");
  CHECK(o.at("session") == "5f0c");
  CHECK(o.at("message") == "user \"a\"\nT error forged");
  auto without = boost::json::parse(format_log_line(log_format::json, "T", log_level::debug, "", "m"));
  CHECK_FALSE(without.as_object().contains("session"));
}
