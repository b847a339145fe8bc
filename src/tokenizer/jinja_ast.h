// Syntax tree of the chat-template renderer (a Jinja subset): statements and expressions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dsinfer::tokenizer::jinja {

enum class NodeKind {
  // statements
  kText,    // str: literal output
  kOutput,  // a[0]: expression whose value is printed
  kIf,      // a[0]: test; body; alternate (else / elif chain)
  kFor,     // a[0]: loop variable (identifier or tuple); a[1]: iterable; body; alternate
  kSet,     // a[0]: target; a[1]: value (or body when a.size() == 1)
  kBreak,
  kContinue,
  kComment,
  // expressions
  kInteger,  // integer
  kFloat,    // number
  kString,   // str
  kArray,    // a: items
  kTuple,    // a: items
  kObject,   // a: key0, value0, key1, value1, ...
  kName,     // str
  kMember,   // a[0]: object; a[1]: property; computed: [] rather than .
  kSlice,    // a[0..2]: start, stop, step (nullptr when omitted)
  kCall,     // a[0]: callee; a[1..]: arguments
  kKeyword,  // str: name; a[0]: value (a keyword argument)
  kUnary,    // str: operator; a[0]: operand
  kBinary,   // str: operator; a[0], a[1]
  kFilter,   // a[0]: operand; a[1]: filter (kName or kCall of a kName)
  kTest,     // a[0]: operand; str: test name; negate
  kSelect,   // a[0]: value; a[1]: condition ("x if c" without else)
  kTernary,  // a[0]: condition; a[1]: if true; a[2]: if false
};

struct Node;
using NodePtr = std::unique_ptr<Node>;
using NodeList = std::vector<NodePtr>;

struct Node {
  NodeKind kind;
  std::string str;
  int64_t integer = 0;
  double number = 0;
  bool computed = false;
  bool negate = false;
  int height = 1;  // levels of the tree below and including this node (see jinja_limits.h)
  NodeList a;
  NodeList body;
  NodeList alternate;

  explicit Node(NodeKind k) : kind(k) {}
};

}  // namespace dsinfer::tokenizer::jinja
