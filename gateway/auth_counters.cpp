#include "gateway/auth_counters.hpp"

namespace vncgate::gateway {
namespace {

constexpr std::string_view password_results[] = {"ok", "rejected", "error", "other"};
constexpr std::string_view totp_results[] = {"ok", "wrong", "replayed", "missing", "not_enrolled", "other"};
constexpr std::string_view certificate_results[] = {"ok", "missing", "mismatch", "other"};

}  // namespace

std::string_view to_string(factor_kind f) noexcept {
  switch (f) {
    case factor_kind::password: return "password";
    case factor_kind::totp: return "totp";
    case factor_kind::client_certificate: return "client_certificate";
  }
  return "password";
}

std::span<const std::string_view> auth_counters::results(factor_kind f) noexcept {
  switch (f) {
    case factor_kind::password: return password_results;
    case factor_kind::totp: return totp_results;
    case factor_kind::client_certificate: return certificate_results;
  }
  return password_results;
}

std::size_t auth_counters::index_of(factor_kind f, std::string_view result) noexcept {
  const auto names = results(f);
  for (std::size_t i = 0; i + 1 < names.size(); ++i)
    if (names[i] == result) return i;
  return names.size() - 1;  // "other"
}

void auth_counters::count(factor_kind f, std::string_view result) noexcept {
  counts_[static_cast<std::size_t>(f)][index_of(f, result)].fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t auth_counters::value(factor_kind f, std::string_view result) const noexcept {
  return counts_[static_cast<std::size_t>(f)][index_of(f, result)].load(std::memory_order_relaxed);
}

}  // namespace vncgate::gateway
