// Names the calling thread, as `top -H`, `ps -L` and perf show it.
#ifndef KETENHUB_SERVER_COMMON_THREAD_NAME_H_
#define KETENHUB_SERVER_COMMON_THREAD_NAME_H_

#include <pthread.h>

#include <string>

namespace ketenhub {

// Linux keeps 15 bytes of a thread name; longer names are cut.
inline void NameThisThread(const std::string& name) {
  (void)pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_COMMON_THREAD_NAME_H_
