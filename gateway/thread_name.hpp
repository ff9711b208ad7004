// thread_name.hpp — names a thread as top -H, ps -L and /proc/PID/task/TID/comm show it.
#pragma once

#include <pthread.h>

#include <string>
#include <thread>

namespace vncgate::gateway {

// Linux keeps 15 characters; longer names are cut, never refused. Best effort.
inline void name_thread(std::thread& t, std::string name) {
  if (name.size() > 15) name.resize(15);
  ::pthread_setname_np(t.native_handle(), name.c_str());
}

}  // namespace vncgate::gateway
