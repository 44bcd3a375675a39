// run_program.hpp - running cg-dump (and other programs) from the tests,
// and the files they read.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cg_dump_test {

/// How a program ended and what it wrote.
struct Run {
    int exit_code = -1; ///< -1 if it did not exit (killed by a signal)
    std::string out;
    std::string err;
};

/// Runs `program` with `arguments`, and waits for it.
Run run_program(const std::string& program, const std::vector<std::string>& arguments);

/// Whether python3's json module reads `json`; nullopt without python3.
std::optional<bool> valid_json(const std::string& json);

/// The cg-dump under test: its path comes from the command line
/// (test_main.cpp's --cg-dump).
void set_cg_dump_path(std::string path);
Run run_cg_dump(const std::vector<std::string>& arguments);

/// A file in /tmp, removed when this goes.
class TemporaryFile {
public:
    explicit TemporaryFile(const std::string& contents = {});
    ~TemporaryFile();
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;

    const std::string& path() const noexcept { return path_; }
    std::string contents() const;

private:
    std::string path_;
};

} // namespace cg_dump_test
