#pragma once
// The two image domains of the EGSC-IT family (A and B), on their own so that the translator's public
// header (i2i/translator/egscit.hpp) can name a direction without the networks' headers.
#include <ostream>

namespace i2i::egscit {

enum class domain { A, B };

inline std::ostream& operator<<(std::ostream& os, domain d) { return os << (d == domain::A ? "A" : "B"); }

}  // namespace i2i::egscit
