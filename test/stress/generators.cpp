// generators.cpp - make_generator: a RealGenerator of the spec's kind.
#include "generators.hpp"

namespace cg_stress {

std::unique_ptr<AnyGenerator> make_generator(const BodySpec& spec, ResumerBox* box)
{
    switch (spec.kind) {
    case Kind::integer_receiving_integer:
        return std::make_unique<RealGenerator<Kind::integer_receiving_integer>>(spec, box);
    case Kind::string: return std::make_unique<RealGenerator<Kind::string>>(spec, box);
    case Kind::move_only: return std::make_unique<RealGenerator<Kind::move_only>>(spec, box);
    case Kind::vector: return std::make_unique<RealGenerator<Kind::vector>>(spec, box);
    case Kind::integer_receiving_move_only:
        return std::make_unique<RealGenerator<Kind::integer_receiving_move_only>>(spec, box);
    case Kind::minimal: return std::make_unique<MinimalGenerator>(spec, box);
    }
    return nullptr;
}

} // namespace cg_stress
