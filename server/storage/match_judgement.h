#ifndef KETENHUB_SERVER_STORAGE_MATCH_JUDGEMENT_H_
#define KETENHUB_SERVER_STORAGE_MATCH_JUDGEMENT_H_

// Internal to the storage layer: the mutation behind
// SignalStore::JudgeMatch, a person's confirmation or dismissal of a
// possible match.

#include <memory>

#include "server/storage/mutation.h"
#include "server/storage/signal_store.h"

namespace ketenhub {

std::unique_ptr<Mutation> MakeJudgeMatchMutation(JudgeMatchCommand command,
                                                 LinkedCallback done);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_STORAGE_MATCH_JUDGEMENT_H_
