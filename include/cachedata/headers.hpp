// Headers: an ordered list of HTTP header fields with case-insensitive lookup.
//
// Order and repeated names are kept as given (a response may carry several Set-Cookie or Link
// fields). A plain value type; not synchronised.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cachedata {

class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  Headers() = default;
  Headers(std::initializer_list<Field> fields) : fields_(fields) {}

  // Appends a field, keeping any existing field of the same name.
  void add(std::string name, std::string value);
  // Replaces every field named `name` (any case) with one field.
  void set(std::string_view name, std::string value);
  // Removes every field named `name` (any case); returns how many were removed.
  size_t remove(std::string_view name);
  // The first value of `name` (any case), if present.
  std::optional<std::string_view> get(std::string_view name) const;
  // All values of `name` joined with ", " (RFC 9110 field combination), if present.
  std::optional<std::string> get_combined(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }
  void reserve(size_t fields) { fields_.reserve(fields); }

  const std::vector<Field>& fields() const { return fields_; }
  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  auto begin() const { return fields_.begin(); }
  auto end() const { return fields_.end(); }
  bool operator==(const Headers&) const = default;

 private:
  std::vector<Field> fields_;
};

bool iequals(std::string_view a, std::string_view b);
std::string to_lower(std::string_view s);

}  // namespace cachedata
