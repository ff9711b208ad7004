// session_registry.hpp — the sessions alive on one I/O worker.
//
// Thread-confined: only the worker's own thread registers, unregisters and walks it, so
// it needs no lock. A reload reaches every worker by posting to its io_context.
#pragma once

#include <unordered_set>

namespace vncgate::gateway {

class session;

class session_registry {
 public:
  void add(session* s) { sessions_.insert(s); }
  void remove(session* s) noexcept { sessions_.erase(s); }
  template <class F>
  void for_each(F f) const {
    for (session* s : sessions_) f(*s);
  }
  std::size_t size() const noexcept { return sessions_.size(); }

 private:
  std::unordered_set<session*> sessions_;
};

}  // namespace vncgate::gateway
