// sd_notify.hpp — telling systemd what the service is doing (the sd_notify protocol,
// without libsystemd): READY=1 once the listeners are bound, RELOADING=1 … READY=1
// around a configuration reload, STOPPING=1 when draining starts, and the watchdog
// interval systemd asks for, if any.
//
// The protocol: one datagram of newline-separated KEY=VALUE assignments sent to the
// AF_UNIX socket named by $NOTIFY_SOCKET (a filesystem path, or an abstract name when it
// starts with '@'). Under anything but systemd Type=notify the variable is unset and every
// call here is a no-op returning false. The variable is read at each call and never
// unset, so the server may notify as often as it likes.
//
// Never throws, never blocks (non-blocking socket, MSG_DONTWAIT: a full systemd queue
// loses the message rather than stalling the caller), allocates nothing. Any thread may
// call these, as long as nothing changes the environment at the same time (getenv).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace vncgate::gateway {

// Sends `state` (e.g. "READY=1\nSTATUS=serving 2 listeners") as one datagram to
// $NOTIFY_SOCKET. false when the variable is unset or not an AF_UNIX address, when
// `state` is empty, or when the datagram could not be sent whole.
bool notify_systemd(std::string_view state) noexcept;

// "RELOADING=1\nMONOTONIC_USEC=<µs>" written into `out`; the view into `out` that holds
// it (empty if `out` is too small; 64 bytes always suffice). systemd ≥ 253
// (Type=notify-reload) matches MONOTONIC_USEC against the time it asked for the reload;
// older versions ignore the field and still enter the reloading state.
std::string_view reloading_message(std::chrono::microseconds monotonic, std::span<char> out) noexcept;

// The reload announcement with the current CLOCK_MONOTONIC time; send READY=1 when the
// reload has been applied or rejected.
bool notify_systemd_reloading() noexcept;

// $WATCHDOG_USEC as a duration when systemd's watchdog is on for this process: the
// variable holds a positive decimal number of microseconds and $WATCHDOG_PID is unset or
// names this process. This is the timeout systemd enforces: send WATCHDOG=1 at least
// every half of it. nullopt when unset, malformed, zero, or meant for another process.
std::optional<std::chrono::microseconds> watchdog_interval() noexcept;

}  // namespace vncgate::gateway
