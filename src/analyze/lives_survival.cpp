// Lives into survival data; see lives_survival.h.
#include "analyze/lives_survival.h"

namespace iotcensus::analyze {

LivesSurvival survival_of_lives(const std::vector<Life>& lives) {
  LivesSurvival out;
  out.lives = lives.size();
  out.data.source = "lives";
  for (const Life& l : lives) {
    if (l.left_truncated) {
      ++out.left_truncated;
      continue;
    }
    out.data.time.push_back(static_cast<double>(l.last_day - l.first_day) + 1.0);
    const bool dead = l.state == LifeState::kDead;
    out.data.event.push_back(dead ? 1 : 0);
    if (dead) {
      ++out.dead;
    } else if (l.state == LifeState::kLost) {
      ++out.lost;
    } else {
      ++out.alive;
    }
  }
  return out;
}

}  // namespace iotcensus::analyze
