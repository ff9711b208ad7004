#include "harness/window_title.hpp"

#include <regex>
#include <sstream>
#include <stdexcept>

#include "harness/loopback.hpp"

namespace vncgate::e2e {
namespace {

// xprop prints a text property as NAME(TYPE) = "value", with \" and \\ escaped.
std::string unquote(const std::string& quoted) {
  std::string out;
  for (std::size_t i = 0; i < quoted.size(); ++i) {
    if (quoted[i] == '\\' && i + 1 < quoted.size()) ++i;
    out.push_back(quoted[i]);
  }
  return out;
}

}  // namespace

window_title_watch::window_title_watch(const temp_dir& dir, int display, const std::string& name_regex,
                                       std::chrono::milliseconds timeout) {
  static int counter = 0;
  std::string stem = "window-title-" + std::to_string(++counter);
  log_ = dir.path() / (stem + ".log");
  env_list env = {{"DISPLAY", ":" + std::to_string(display)}};
  std::string last_error;
  bool found = wait_until(
      [&] {
        auto r = run({.argv = {"xdotool", "search", "--name", name_regex}, .env = env}, dir.path(), 5s);
        std::istringstream ids(r.out);
        std::string id;
        if (r.exit_code == 0 && std::getline(ids, id) && !id.empty()) {
          window_ = id;
          return true;
        }
        last_error = r.err;
        return false;
      },
      timeout);
  if (!found)
    throw std::runtime_error("no window titled /" + name_regex + "/ on :" + std::to_string(display) + ": " +
                             last_error);
  // stdbuf: xprop writes to a file, where stdio would hold the lines until it exits.
  spy_ = std::make_unique<process>(process_options{
      .argv = {"stdbuf", "-oL", "xprop", "-spy", "-id", window_, "_NET_WM_NAME", "WM_NAME"},
      .env = env,
      .stdout_file = log_});
  // xprop prints the current values first: once they are there, no change can be missed.
  if (!wait_until([&] { return !titles().empty() || !spy_->alive(); }, 5s) || titles().empty())
    throw std::runtime_error("xprop -spy on window " + window_ + " printed no title: " + log());
}

window_title_watch::~window_title_watch() { spy_->terminate(1s); }

std::vector<std::string> window_title_watch::titles() const {
  static const std::regex line(R"re(^(_NET_WM_NAME|WM_NAME)\([A-Z0-9_]+\) = "(.*)"$)re");
  std::vector<std::string> out;
  std::istringstream text(log());
  std::string l;
  std::smatch m;
  while (std::getline(text, l)) {
    if (!std::regex_match(l, m, line)) continue;
    std::string title = unquote(m[2]);
    if (out.empty() || out.back() != title) out.push_back(title);
  }
  return out;
}

bool window_title_watch::wait_for_title(const std::string& fragment, std::chrono::milliseconds timeout) const {
  return wait_until(
      [&] {
        for (const auto& t : titles())
          if (t.find(fragment) != std::string::npos) return true;
        return false;
      },
      timeout);
}

}  // namespace vncgate::e2e
