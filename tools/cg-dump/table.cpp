// table.cpp - text in aligned columns (table.hpp).
#include "table.hpp"

#include <algorithm>
#include <utility>

#include "escaping.hpp"

namespace cg_dump {

Table::Table(std::vector<Column> columns, std::size_t indent) : columns_(std::move(columns)), indent_(indent)
{
    for (const Column& column : columns_)
        widths_.push_back(display_width(column.title));
}

void Table::add(std::vector<std::string> cells)
{
    cells.resize(columns_.size());
    for (std::size_t i = 0; i < cells.size(); ++i)
        widths_[i] = std::max(widths_[i], display_width(cells[i]));
    rows_.push_back(std::move(cells));
}

void Table::print_heading(std::ostream& out) const
{
    std::vector<std::string> titles;
    for (const Column& column : columns_)
        titles.push_back(column.title);
    print_cells(out, titles);
}

void Table::print_row(std::ostream& out, std::size_t row) const { print_cells(out, rows_[row]); }

void Table::print(std::ostream& out) const
{
    print_heading(out);
    for (std::size_t row = 0; row < rows_.size(); ++row)
        print_row(out, row);
}

void Table::print_cells(std::ostream& out, const std::vector<std::string>& cells) const
{
    std::string line(indent_, ' ');
    for (std::size_t i = 0; i < cells.size(); ++i) {
        std::size_t padding = widths_[i] - display_width(cells[i]);
        bool last = i + 1 == cells.size();
        if (columns_[i].align == Align::right)
            line.append(padding, ' ');
        line += cells[i];
        if (!last && columns_[i].align == Align::left)
            line.append(padding, ' ');
        if (!last)
            line += "  ";
    }
    // No trailing blanks where the last cells are empty.
    line.erase(line.find_last_not_of(' ') + 1);
    out << line << '\n';
}

} // namespace cg_dump
