// Brute-force reference models shared by the cache tests: deliberately simple and written
// differently from the production code, so the two can disagree.
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

namespace isim::testref {

// Recency list: front = next victim. Untouched ways start in way order, so the lowest
// never-used way goes first.
struct RefList {
  std::vector<uint32_t> order;
  explicit RefList(uint32_t ways) {
    for (uint32_t w = 0; w < ways; ++w) order.push_back(w);
  }
  void use(uint32_t w) {
    order.erase(std::find(order.begin(), order.end(), w));
    order.push_back(w);
  }
  uint32_t victim() const { return order.front(); }
};

// Tree-PLRU written recursively over way ranges: each internal node (lo, size) has a bit;
// 1 sends the next victim to the upper half. A use points every node on its path away.
struct RefPlruTree {
  uint32_t ways;
  std::vector<std::pair<uint32_t, uint32_t>> nodes;
  std::vector<int> bit;
  explicit RefPlruTree(uint32_t w) : ways(w) { build(0, w); }
  void build(uint32_t lo, uint32_t size) {
    if (size < 2) return;
    nodes.push_back({lo, size});
    bit.push_back(0);
    build(lo, size / 2);
    build(lo + size / 2, size / 2);
  }
  int& node_bit(uint32_t lo, uint32_t size) {
    for (size_t i = 0; i < nodes.size(); ++i)
      if (nodes[i] == std::make_pair(lo, size)) return bit[i];
    throw std::logic_error("no such node");
  }
  void use(uint32_t w) {
    uint32_t lo = 0, size = ways;
    while (size > 1) {
      const bool upper = w >= lo + size / 2;
      node_bit(lo, size) = upper ? 0 : 1;
      if (upper) lo += size / 2;
      size /= 2;
    }
  }
  uint32_t victim() {
    uint32_t lo = 0, size = ways;
    while (size > 1) {
      if (node_bit(lo, size)) lo += size / 2;
      size /= 2;
    }
    return lo;
  }
};

}  // namespace isim::testref
