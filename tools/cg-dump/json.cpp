// json.cpp - cg-dump --json (formatters.hpp): the whole snapshot as one
// JSON object, for scripts. Addresses are hex strings ("0x7ffd891ee258"):
// as numbers, many JSON readers would round them to a double's 53 bits.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "describe.hpp"
#include "escaping.hpp"
#include "formatters.hpp"

namespace cg_dump {
namespace {

/// Writes objects and arrays, one member or element per line, and puts the
/// commas between them.
class JsonWriter {
public:
    explicit JsonWriter(std::ostream& out) : out_(out) {}

    void begin_object(std::string_view key = {}) { begin(key, '{'); }
    void end_object() { end('}'); }
    void begin_array(std::string_view key = {}) { begin(key, '['); }
    void end_array() { end(']'); }

    /// A member (or, without a key, an element) whose value is already JSON.
    void raw(std::string_view key, const std::string& json)
    {
        next(key);
        out_ << json;
    }
    void string(std::string_view key, std::string_view text) { raw(key, json_string(text)); }
    void number(std::string_view key, std::uint64_t value) { raw(key, std::to_string(value)); }
    void signed_number(std::string_view key, std::int64_t value) { raw(key, std::to_string(value)); }
    void address(std::string_view key, std::uint64_t value) { raw(key, json_string(hex(value))); }
    void boolean(std::string_view key, bool value) { raw(key, value ? "true" : "false"); }

private:
    void begin(std::string_view key, char bracket)
    {
        next(key);
        out_ << bracket;
        ++depth_;
        first_ = true;
    }
    void end(char bracket)
    {
        --depth_;
        if (!first_) // not empty
            out_ << '\n' << std::string(2 * depth_, ' ');
        out_ << bracket;
        first_ = false;
        if (depth_ == 0)
            out_ << '\n';
    }
    void next(std::string_view key)
    {
        if (depth_ > 0)
            out_ << (first_ ? "\n" : ",\n") << std::string(2 * depth_, ' ');
        if (!key.empty())
            out_ << json_string(key) << ": ";
        first_ = false;
    }

    std::ostream& out_;
    std::size_t depth_ = 0;
    bool first_ = true; // nothing written yet in the innermost object or array
};

std::string hex_bytes(const std::string& bytes)
{
    static const char digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(2 * bytes.size());
    for (char c : bytes) {
        auto byte = static_cast<unsigned char>(c);
        hex += digits[byte >> 4];
        hex += digits[byte & 15];
    }
    return hex;
}

/// Frames and symbols alike: an address, the offset in its function, the
/// function's name.
void code_location(JsonWriter& json, const char* address_key, std::uint64_t address, std::uint64_t offset,
                   const std::string& function)
{
    json.address(address_key, address);
    json.number("offset", offset);
    json.string("function", function);
}

void write_record(JsonWriter& json, const Record& record, const std::vector<std::string>& names)
{
    json.begin_object();
    json.address("id", record.id);
    json.string("state", state_name(record.state));
    json.string("kind", kind_name(record.kind));
    json.number("flags", record.flags);
    json.boolean("details", record.has_details());
    json.string("label", record.label);
    json.address("slice_top", record.slice_top);
    json.number("slice_size", record.slice.size());
    json.number("capacity", record.capacity);
    json.address("resume_pc", record.resume_pc);
    json.address("resume_sp", record.resume_sp);
    // Keyed by the file's names, which the reader has checked are neither
    // empty (JsonWriter would take an empty key for none) nor repeated.
    json.begin_object("registers");
    for (std::size_t i = 0; i < std::min(names.size(), record.registers.size()); ++i)
        json.address(names[i], record.registers[i]);
    json.end_object();
    json.string("slice", hex_bytes(record.slice));
    json.begin_array("frames");
    for (const Frame& frame : record.frames) {
        json.begin_object();
        code_location(json, "pc", frame.pc, frame.offset, frame.function);
        json.address("sp", frame.sp);
        json.end_object();
    }
    json.end_array();
    json.begin_array("symbols");
    for (const Symbol& symbol : record.symbols) {
        json.begin_object();
        code_location(json, "address", symbol.address, symbol.offset, symbol.function);
        json.end_object();
    }
    json.end_array();
    if (!record.where.empty())
        json.string("where", record.where);
    json.end_object();
}

} // namespace

void print_json(std::ostream& out, const Snapshot& snapshot)
{
    JsonWriter json(out);
    json.begin_object();
    json.string("source", snapshot.source);
    json.number("format_version", snapshot.version);
    json.number("pid", snapshot.pid);
    json.signed_number("time_ns", snapshot.time_ns);
    json.string("time", utc_time(snapshot.time_ns));
    json.string("executable", snapshot.executable);
    json.string("build_id", snapshot.build_id);
    json.string("architecture", snapshot.architecture);
    json.begin_array("sections");
    for (const Section& section : snapshot.sections) {
        json.begin_object();
        json.number("thread", section.thread);
        json.number("flags", section.flags);
        json.boolean("complete", section.complete());
        json.boolean("thread_exited", section.thread_exited());
        json.begin_array("generators");
        for (const Record& record : section.records)
            write_record(json, record, snapshot.register_names);
        json.end_array();
        json.end_object();
    }
    json.end_array();
    json.end_object();
}

} // namespace cg_dump
