// headroom_probe.cpp - how much deeper than a generator's first resume do
// typical call sites resume from?
//
// Each line creates a generator with no headroom, resumes it once, then
// resumes it from another call site; the resume_depth_error says by how many
// bytes that site is deeper (0: it is not). These figures justify
// cg::default_headroom (README.md, "Headroom"). Build it at several
// optimization levels to see how they change.
#include <cstdio>
#include <functional>

#include <cg/copy_generator.hpp>

namespace {

using Generator = cg::CopyGenerator<int>;

Generator counter()
{
    return Generator(
        [](cg::Yielder<int>& y) {
            for (int i = 0;; ++i)
                y.yield(i);
        },
        cg::Options{0});
}

long extra_depth(const std::function<void(Generator&)>& resume_elsewhere)
{
    Generator generator = counter();
    generator.next();
    try {
        resume_elsewhere(generator);
        return 0;
    } catch (const cg::resume_depth_error& e) {
        return static_cast<long>(e.resume_depth() - e.home_depth());
    }
}

[[gnu::noinline]] void helper(Generator& generator) { generator.next(); }
[[gnu::noinline]] void helper_of_helper(Generator& generator) { helper(generator); }

struct Source {
    virtual ~Source() = default;
    virtual void pull() = 0;
};

struct GeneratorSource : Source {
    Generator& generator;
    explicit GeneratorSource(Generator& g) : generator(g) {}
    void pull() override { generator.next(); }
};

[[gnu::noinline]] void pull_from(Source& source) { source.pull(); }

} // namespace

int main()
{
    std::printf("helper function:      %4ld bytes deeper\n", extra_depth([](Generator& g) { helper(g); }));
    std::printf("helper of a helper:   %4ld bytes deeper\n", extra_depth([](Generator& g) { helper_of_helper(g); }));
    std::printf("virtual call:         %4ld bytes deeper\n", extra_depth([](Generator& g) {
                    GeneratorSource source(g);
                    pull_from(source);
                }));
    std::printf("std::function:        %4ld bytes deeper\n", extra_depth([](Generator& g) {
                    std::function<void()> pull = [&g] { g.next(); };
                    pull();
                }));
    Generator generator = counter();
    auto it = generator.begin();
    try {
        ++it;
        std::printf("range-for, ++ vs begin: %2d bytes deeper\n", 0);
    } catch (const cg::resume_depth_error& e) {
        std::printf("range-for, ++ vs begin: %2ld bytes deeper\n", static_cast<long>(e.resume_depth() - e.home_depth()));
    }
    std::printf("default headroom:     %4zu bytes\n", cg::default_headroom);
}
