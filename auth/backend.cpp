// backend.cpp — names for outcomes, as written to the audit log.
#include "auth/backend.hpp"

namespace vncgate::auth {

std::string_view to_string(outcome o) noexcept {
  switch (o) {
    case outcome::accepted:
      return "accepted";
    case outcome::rejected:
      return "rejected";
    case outcome::error:
      return "error";
  }
  return "unknown";
}

}  // namespace vncgate::auth
