// model.cpp - random specs and names.
#include "model.hpp"

#include <cg/copy_generator.hpp>

namespace cg_stress {

std::size_t inline_capacity()
{
    // A new generator's buffer is the inline bytes.
    static const std::size_t capacity = cg::CopyGenerator<int>([](cg::Yielder<int>&) {}).buffer_capacity();
    return capacity;
}

const char* name(Kind kind)
{
    switch (kind) {
    case Kind::integer_receiving_integer: return "uint64<-uint64";
    case Kind::string: return "string";
    case Kind::move_only: return "unique_ptr";
    case Kind::vector: return "vector";
    case Kind::integer_receiving_move_only: return "uint64<-unique_ptr";
    case Kind::minimal: return "minimal";
    }
    return "?";
}

const char* name(SliceClass kind)
{
    switch (kind) {
    case SliceClass::inline_bytes: return "inline bytes";
    case SliceClass::trampoline_heap: return "small heap (trampoline)";
    case SliceClass::small_heap: return "heap < 256 (core)";
    case SliceClass::wide_heap: return "heap < 512 (core, vectors)";
    case SliceClass::large_heap: return "heap >= 512";
    }
    return "?";
}

bool receives(Kind kind)
{
    return kind == Kind::integer_receiving_integer || kind == Kind::integer_receiving_move_only;
}

BodySpec random_spec(Rng& rng, std::uint32_t& next_id, int nesting)
{
    BodySpec spec;
    spec.id = next_id++;
    spec.seed = rng.next();
    spec.kind = static_cast<Kind>(rng.below(kind_count));
    spec.headroom = headrooms[rng.below(std::size(headrooms))];
    spec.max_level = 1 + static_cast<int>(rng.below(10));
    spec.max_yields = static_cast<int>(rng.below(60));
    if (nesting > 0 && spec.kind != Kind::minimal)
        for (std::uint64_t children = rng.below(4); children > 0; --children)
            spec.children.push_back(random_spec(rng, next_id, nesting - 1));
    return spec;
}

std::string Event::describe() const
{
    std::string what = type == value ? "value " + std::to_string(logical)
                       : type == end ? std::string("end")
                                     : "exception " + std::to_string(logical);
    return what + " (box " + std::to_string(box) + ")";
}

} // namespace cg_stress
