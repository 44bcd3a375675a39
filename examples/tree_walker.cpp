// tree_walker.cpp - a recursive tree walk that yields from its recursion.
//
// walk() is ordinary recursive code; a CopyGenerator turns it into a stream
// of values without a callback or an explicit stack. Two walks then run
// interleaved to solve the "same fringe" problem: do two trees of different
// shapes hold the same keys in the same order? Each walk, while suspended,
// costs only the stack bytes its recursion uses at that moment.
#include <cstdio>
#include <memory>
#include <vector>

#include <cg/copy_generator.hpp>

namespace {

struct Node {
    int key;
    std::unique_ptr<Node> left, right;
};

std::unique_ptr<Node> insert(std::unique_ptr<Node> node, int key)
{
    if (!node)
        return std::make_unique<Node>(Node{key, nullptr, nullptr});
    if (key < node->key)
        node->left = insert(std::move(node->left), key);
    else
        node->right = insert(std::move(node->right), key);
    return node;
}

std::unique_ptr<Node> tree_of(const std::vector<int>& keys)
{
    std::unique_ptr<Node> root;
    for (int key : keys)
        root = insert(std::move(root), key);
    return root;
}

// In-order, yielding each key from whatever depth it is found at.
void walk(const Node* node, cg::Yielder<int>& out)
{
    if (node == nullptr)
        return;
    walk(node->left.get(), out);
    out.yield(node->key);
    walk(node->right.get(), out);
}

cg::CopyGenerator<int> keys_of(const Node* root)
{
    return cg::CopyGenerator<int>([root](cg::Yielder<int>& out) { walk(root, out); });
}

bool same_fringe(const Node* a, const Node* b)
{
    auto left = keys_of(a), right = keys_of(b);
    for (;;) {
        std::optional<int> x = left.next(), y = right.next();
        if (x != y)
            return false;
        if (!x)
            return true;
    }
}

} // namespace

int main()
{
    auto balanced = tree_of({50, 25, 75, 12, 37, 62, 87, 6, 18, 31, 43});
    auto chain = tree_of({6, 12, 18, 25, 31, 37, 43, 50, 62, 75, 87}); // a linked list, 11 deep
    auto other = tree_of({50, 25, 75, 12, 37, 62, 88, 6, 18, 31, 43});

    std::printf("in order:");
    auto keys = keys_of(balanced.get());
    std::size_t largest_slice = 0;
    for (int key : keys) {
        std::printf(" %d", key);
        largest_slice = std::max(largest_slice, keys.slice_size());
    }
    std::printf("\nlargest slice while suspended: %zu bytes\n", largest_slice);

    std::printf("balanced and chain have the same fringe: %s\n", same_fringe(balanced.get(), chain.get()) ? "yes" : "no");
    std::printf("balanced and other have the same fringe: %s\n", same_fringe(balanced.get(), other.get()) ? "yes" : "no");
    return 0;
}
