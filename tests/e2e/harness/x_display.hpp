// x_display.hpp — looking at an Xvnc desktop from the inside, as an X client on its
// display: where the pointer is, what the selections hold, whether Caps Lock is on.
//
// This is how a test proves what reached the target (or did not): input a VNC client
// sends moves the X pointer and toggles lock keys; cut text it sends is owned by Xvnc
// itself as CLIPBOARD and PRIMARY (TigerVNC 1.12), which `xclip -o` reads back.
// Each call runs one short program (xdotool, xclip, xset) with DISPLAY=:N and returns
// nullopt when it fails. Blocking (well under a second); any thread.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "harness/xvnc.hpp"

namespace vncgate::e2e {

struct screen_point {
  int x = 0;
  int y = 0;
  bool operator==(const screen_point&) const = default;
};
inline std::ostream& operator<<(std::ostream& out, const screen_point& p) {
  return out << "(" << p.x << ", " << p.y << ")";
}

// `xdotool getmouselocation`.
std::optional<screen_point> pointer_on(const xvnc_server& desk);
// `xdotool mousemove`; true once the pointer is there.
bool move_pointer(const xvnc_server& desk, screen_point to);
// `xclip -o -selection NAME` ("clipboard", "primary"); nullopt when nothing owns it.
std::optional<std::string> selection_on(const xvnc_server& desk, const std::string& selection = "clipboard");
// Caps Lock as `xset q` reports it.
std::optional<bool> caps_lock_on(const xvnc_server& desk);

}  // namespace vncgate::e2e
