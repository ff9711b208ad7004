// auth_counters.hpp — how often each authentication factor came to each result.
//
// Metrics-ready: the metrics endpoint exposes them as a counter with two labels, the
// factor and the result, both from the fixed lists below, so no user-controlled text
// ever becomes a label value. One object for the process (in `services`); lock-free,
// any thread may count.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <string_view>

namespace vncgate::gateway {

enum class factor_kind { password, totp, client_certificate };
inline constexpr std::array<factor_kind, 3> all_factor_kinds{factor_kind::password, factor_kind::totp,
                                                             factor_kind::client_certificate};

std::string_view to_string(factor_kind f) noexcept;

class auth_counters {
 public:
  // The results a factor can come to, as the audit `factors` object names them.
  static std::span<const std::string_view> results(factor_kind f) noexcept;

  // Counts `result` for `f`; a result not in results(f) is counted as "other".
  void count(factor_kind f, std::string_view result) noexcept;
  std::uint64_t value(factor_kind f, std::string_view result) const noexcept;

 private:
  static constexpr std::size_t max_results = 6;  // the longest list, plus "other"
  static std::size_t index_of(factor_kind f, std::string_view result) noexcept;
  std::array<std::array<std::atomic<std::uint64_t>, max_results>, all_factor_kinds.size()> counts_{};
};

}  // namespace vncgate::gateway
