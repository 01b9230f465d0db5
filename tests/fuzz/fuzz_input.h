// Reads typed values off a fuzzer's byte string, so that one input drives a
// whole scenario. Past the end every read returns zero or empty: a target
// sees each input in full and never reads out of bounds.
#ifndef KETENHUB_TESTS_FUZZ_FUZZ_INPUT_H_
#define KETENHUB_TESTS_FUZZ_FUZZ_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "google/protobuf/stubs/logging.h"

namespace ketenhub::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  uint64_t Number(int bytes) {
    uint64_t value = 0;
    for (int i = 0; i < bytes && pos_ < size_; ++i)
      value = (value << 8) | data_[pos_++];
    return value;
  }

  // A number in [0, bound), bound > 0.
  uint64_t Below(uint64_t bound, int bytes = 2) {
    return Number(bytes) % bound;
  }

  bool Flag() { return (Number(1) & 1) != 0; }

  // Up to `max` bytes, its length read first.
  std::string Bytes(size_t max) {
    size_t n = Below(max + 1);
    if (n > size_ - pos_) n = size_ - pos_;
    std::string out(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return out;
  }

 private:
  const uint8_t* const data_;
  const size_t size_;
  size_t pos_ = 0;
};

// Hostile protobuf input makes the library log each broken string; a
// fuzzer's output should show only findings.
inline void QuietProtobufLogs() {
  static const bool quiet = (google::protobuf::SetLogHandler(nullptr), true);
  (void)quiet;
}

// A broken invariant: print what and abort, which the fuzzer reports as a
// crash with the input that caused it.
[[noreturn]] inline void Violated(const char* what) {
  std::fprintf(stderr, "invariant violated: %s\n", what);
  std::abort();
}

}  // namespace ketenhub::fuzz

#endif  // KETENHUB_TESTS_FUZZ_FUZZ_INPUT_H_
