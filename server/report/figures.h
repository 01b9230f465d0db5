#ifndef KETENHUB_SERVER_REPORT_FIGURES_H_
#define KETENHUB_SERVER_REPORT_FIGURES_H_

#include <memory>

#include "absl/status/statusor.h"
#include "ketenhub/v1/report.pb.h"
#include "ketenhub/v1/storage.pb.h"

namespace ketenhub::report {

// INVALID_ARGUMENT naming the field when `request` is not one Figures can
// answer: dates YYYY-MM-DD, from not after to, at most ten years; a known
// period; at most three known dimensions, each once.
absl::Status CheckFiguresRequest(const v1::FiguresRequest& request);

// Builds the figures of a checked request from the signal records the
// store holds (sealed: their clear metadata only; nothing is decrypted),
// added one by one in any order. Not thread-safe.
class FiguresBuilder {
 public:
  explicit FiguresBuilder(const v1::FiguresRequest& request);
  ~FiguresBuilder();

  void Add(const v1::storage::StoredSignal& signal);

  // Every cell and margin with signals, counts below `threshold` suppressed
  // (FigureTable::Suppress), the persons counted by pseudonym and never
  // listed.
  v1::FiguresResponse Finish(uint32_t threshold);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ketenhub::report

#endif  // KETENHUB_SERVER_REPORT_FIGURES_H_
