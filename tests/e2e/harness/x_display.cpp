#include "harness/x_display.hpp"

#include <regex>

#include "harness/loopback.hpp"

namespace vncgate::e2e {
namespace {

run_result on_display(const xvnc_server& desk, std::vector<std::string> argv) {
  return run({.argv = std::move(argv), .env = {{"DISPLAY", ":" + std::to_string(desk.display())}}}, desk.state_dir(),
             5s);
}

}  // namespace

std::optional<screen_point> pointer_on(const xvnc_server& desk) {
  auto r = on_display(desk, {"xdotool", "getmouselocation", "--shell"});
  static const std::regex x_line(R"((^|\n)X=(\d+))"), y_line(R"((^|\n)Y=(\d+))");
  std::smatch x, y;
  if (r.exit_code != 0 || !std::regex_search(r.out, x, x_line) || !std::regex_search(r.out, y, y_line))
    return std::nullopt;
  return screen_point{std::stoi(x[2]), std::stoi(y[2])};
}

bool move_pointer(const xvnc_server& desk, screen_point to) {
  // No --sync: it waits for a motion event, which never comes when the pointer is already there.
  auto r = on_display(desk, {"xdotool", "mousemove", std::to_string(to.x), std::to_string(to.y)});
  return r.exit_code == 0 && wait_until([&] { return pointer_on(desk) == to; }, 2s);
}

std::optional<std::string> selection_on(const xvnc_server& desk, const std::string& selection) {
  auto r = on_display(desk, {"xclip", "-o", "-selection", selection});
  if (r.exit_code != 0) return std::nullopt;
  return r.out;
}

std::optional<bool> caps_lock_on(const xvnc_server& desk) {
  auto r = on_display(desk, {"xset", "q"});
  static const std::regex caps(R"(Caps Lock:\s+(on|off))");
  std::smatch m;
  if (r.exit_code != 0 || !std::regex_search(r.out, m, caps)) return std::nullopt;
  return m[1] == "on";
}

}  // namespace vncgate::e2e
