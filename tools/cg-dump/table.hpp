// table.hpp - text in aligned columns, for cg-dump's listings.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

namespace cg_dump {

class Table {
public:
    enum class Align { left, right };
    struct Column {
        std::string title;
        Align align;
    };

    /// `indent` spaces start every line.
    explicit Table(std::vector<Column> columns, std::size_t indent = 0);

    /// A row of printable cells (escaping.hpp), one per column.
    void add(std::vector<std::string> cells);
    std::size_t rows() const noexcept { return rows_.size(); }

    void print_heading(std::ostream& out) const;
    void print_row(std::ostream& out, std::size_t row) const;
    /// The heading, then every row.
    void print(std::ostream& out) const;

private:
    void print_cells(std::ostream& out, const std::vector<std::string>& cells) const;

    std::vector<Column> columns_;
    std::size_t indent_;
    std::vector<std::size_t> widths_;
    std::vector<std::vector<std::string>> rows_;
};

} // namespace cg_dump
