// reference.cpp - see reference.hpp.
#include "reference.hpp"

#include <cfenv>

#include "body.hpp"

namespace cg_stress {
namespace {

/// Children are their own reference sequences, consumed as pulled.
class ReferencePort {
public:
    explicit ReferencePort(const BodySpec& spec) : id_(spec.id), receives_(receives(spec.kind)) {}

    void start(const BodySpec& spec)
    {
        for (const BodySpec& child : spec.children) {
            children_.push_back(reference_events(child));
            next_.push_back(0);
            alive_.push_back(true);
        }
    }
    bool alive(std::size_t c) const { return alive_[c]; }

    std::uint64_t yield(std::uint64_t value, std::uint64_t box)
    {
        events_.push_back({Event::value, value, box});
        // The k-th yield is answered by the k-th resume after the first.
        return receives_ ? sent_value(id_, events_.size()) : 0;
    }

    Event pull(std::size_t c, const Pull&, std::uint64_t)
    {
        Event got = children_[c][next_[c]++];
        if (got.type != Event::value)
            alive_[c] = false;
        return got;
    }

    void destroy(std::size_t c, const DestroyPlace&) { alive_[c] = false; }

    std::vector<Event> take_events(Event last)
    {
        events_.push_back(last);
        return std::move(events_);
    }

private:
    std::uint32_t id_;
    bool receives_;
    std::vector<Event> events_;
    std::vector<std::vector<Event>> children_;
    std::vector<std::size_t> next_;
    std::vector<bool> alive_;
};

} // namespace

std::vector<Event> reference_events(const BodySpec& spec)
{
    if (spec.kind == Kind::minimal) {
        std::vector<Event> events;
        for (std::uint64_t x = spec.seed; minimal_goes_on(x); x = minimal_next(x))
            events.push_back({Event::value, x, 0});
        events.push_back({Event::end, 0, 0});
        return events;
    }
    // The body sets its own rounding mode; its caller keeps its own.
    struct KeepRounding {
        int mode = std::fegetround();
        ~KeepRounding() { std::fesetround(mode); }
    } keep_rounding;
    ReferencePort port(spec);
    ResumerBox box;
    BodyRun<ReferencePort> body(spec, port, &box);
    try {
        body.run();
    } catch (const StressError& escaped) {
        return port.take_events({Event::exception, escaped.code, box.checksum});
    }
    return port.take_events({Event::end, 0, box.checksum});
}

} // namespace cg_stress
