// Chat-template evaluator: statements, expressions, scopes and the global built-ins (see
// jinja_evaluator.h).
#include "tokenizer/jinja_evaluator.h"

#include <cmath>
#include <limits>
#include <unordered_map>

#include "base/error.h"
#include "tokenizer/jinja_limits.h"
#include "tokenizer/utf8.h"

namespace dsinfer::tokenizer::jinja {

namespace {

struct BreakSignal {};
struct ContinueSignal {};

// A variable scope; `for` bodies get their own, `if` bodies share their parent's.
class Scope {
 public:
  explicit Scope(Scope* parent = nullptr) : parent_(parent) {}
  Value lookup(const std::string& name) const {
    for (const Scope* s = this; s != nullptr; s = s->parent_) {
      const auto it = s->vars_.find(name);
      if (it != s->vars_.end()) return it->second;
    }
    return Value{};
  }
  void set(const std::string& name, Value v) { vars_[name] = std::move(v); }

 private:
  Scope* parent_;
  std::unordered_map<std::string, Value> vars_;
};

double as_double(const Value& v) {
  if (v.is(ValueKind::kInt)) return static_cast<double>(v.integer);
  if (v.is(ValueKind::kBool)) return v.boolean ? 1 : 0;
  return v.number;
}

// A numeric result: integer-typed when both operands were integers and it is representable.
Value number_result(double r, bool integer) {
  if (integer && std::isfinite(r) && std::fabs(r) < 9.2e18 && std::floor(r) == r) {
    return Value::from_int(static_cast<int64_t>(r));
  }
  return Value::from_float(r);
}

// Byte range of one code point of a string (the reference slices strings by code point).
struct CodePoint {
  size_t begin;
  size_t end;
};
std::vector<CodePoint> code_points(const std::string& s) {
  std::vector<CodePoint> out;
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t start = pos;
    utf8_next(s, pos);
    out.push_back({start, pos});
  }
  return out;
}

// String concatenation (`~`, and `+` with a string), keeping the caller marks of both sides.
Value concat(const Value& left, const Value& right) {
  MarkedText out = to_marked_output(left);
  out.append(to_marked_output(right));
  return Value::from_marked(std::move(out));
}

std::vector<int64_t> slice_indices(int64_t length, const Value& start_v, const Value& stop_v,
                                   const Value& step_v) {
  const int64_t step = step_v.is(ValueKind::kInt) ? step_v.integer : 1;
  if (step == 0) runtime_error("slice step cannot be zero");
  int64_t start = 0;
  int64_t stop = 0;
  if (step > 0) {
    start = start_v.is(ValueKind::kInt) ? start_v.integer : 0;
    stop = stop_v.is(ValueKind::kInt) ? stop_v.integer : length;
    start = start < 0 ? std::max<int64_t>(length + start, 0) : std::min(start, length);
    stop = stop < 0 ? std::max<int64_t>(length + stop, 0) : std::min(stop, length);
  } else {
    start = start_v.is(ValueKind::kInt) ? start_v.integer : length - 1;
    stop = stop_v.is(ValueKind::kInt) ? stop_v.integer : -1;
    start = start < 0 ? std::max<int64_t>(length + start, -1) : std::min(start, length - 1);
    stop = stop < -1 ? std::max<int64_t>(length + stop, -1) : std::min(stop, length - 1);
  }
  std::vector<int64_t> out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.push_back(i);
  return out;
}

Value range_fn(const ValueList& args, const Kwargs&) {
  for (const auto& a : args) {
    if (!a.is(ValueKind::kInt)) runtime_error("range() takes integers");
  }
  int64_t start = 0;
  int64_t stop = 0;
  int64_t step = 1;
  if (args.size() == 1) {
    stop = args[0].integer;
  } else if (args.size() >= 2) {
    start = args[0].integer;
    stop = args[1].integer;
    if (args.size() > 2) step = args[2].integer;
  } else {
    runtime_error("range() needs an argument");
  }
  if (step == 0) runtime_error("range() step must not be zero");
  // Length computed first (in 128 bits: no overflow), so a huge range is refused before any work.
  const __int128 span =
      step > 0 ? static_cast<__int128>(stop) - start : static_cast<__int128>(start) - stop;
  const __int128 abs_step = step > 0 ? step : -static_cast<__int128>(step);
  const __int128 length = span <= 0 ? 0 : (span + abs_step - 1) / abs_step;
  if (length > static_cast<__int128>(kMaxArrayItems)) {
    limit_exceeded(fmt::format("range() of {} items (at most {})",
                               static_cast<int64_t>(std::min<__int128>(length, INT64_MAX)),
                               kMaxArrayItems));
  }
  ValueList items;
  items.reserve(static_cast<size_t>(length));
  for (int64_t k = 0; k < static_cast<int64_t>(length); ++k) {
    items.push_back(Value::from_int(start + k * step));
  }
  return Value::from_array(std::move(items));
}

Value namespace_fn(const ValueList& args, const Kwargs& kwargs) {
  ObjectEntries entries;
  if (args.size() > 1) runtime_error("namespace() takes at most one positional argument");
  if (args.size() == 1) {
    if (!args[0].is(ValueKind::kObject)) runtime_error("namespace() needs a mapping");
    entries = *args[0].object;
  }
  Value ns = Value::from_namespace(std::move(entries));
  ns.caller_keys = args.size() == 1 && args[0].caller_keys;  // keys printed by tojson
  for (const auto& [k, v] : kwargs) ns.set(k, v);
  return ns;
}

class Interpreter {
 public:
  MarkedText block(const NodeList& nodes, Scope& scope) {
    MarkedText out;
    for (const auto& n : nodes) {
      statement(*n, scope, out);
      if (out.text.size() > kMaxStringBytes) {
        limit_exceeded(fmt::format("the output exceeds {} bytes", kMaxStringBytes));
      }
    }
    return out;
  }

 private:
  // Work of copying `v`: its string bytes (arrays and objects are shared, not copied).
  static size_t copy_cost(const Value& v) { return v.string.size(); }
  // Work of building `v` afresh: strings, or every item of an array (each one copied).
  static size_t build_cost(const Value& v) {
    if (!v.is(ValueKind::kArray)) return copy_cost(v);
    size_t bytes = v.array->size() * sizeof(Value);
    for (const Value& item : *v.array) bytes += copy_cost(item);
    return bytes;
  }

  void statement(const Node& n, Scope& scope, MarkedText& out) {
    budget_.step();
    switch (n.kind) {
      case NodeKind::kText:
        out.append(n.str, false);
        return;
      case NodeKind::kComment:
        return;
      case NodeKind::kOutput:
        out.append(to_marked_output(eval(*n.a[0], scope)));
        return;
      case NodeKind::kIf:
        out.append(block(truthy(eval(*n.a[0], scope)) ? n.body : n.alternate, scope));
        return;
      case NodeKind::kFor:
        for_loop(n, scope, out);
        return;
      case NodeKind::kSet:
        set(n, scope);
        return;
      case NodeKind::kBreak:
        throw BreakSignal{};
      case NodeKind::kContinue:
        throw ContinueSignal{};
      default:
        out.append(to_marked_output(eval(n, scope)));  // a bare expression statement
    }
  }

  void bind(const Node& target, const Value& v, Scope& scope) {
    if (target.kind == NodeKind::kName) {
      scope.set(target.str, v);
      return;
    }
    if (!v.is(ValueKind::kArray)) runtime_error("cannot unpack a non-sequence");
    if (v.array->size() != target.a.size()) runtime_error("wrong number of items to unpack");
    for (size_t i = 0; i < target.a.size(); ++i) {
      if (target.a[i]->kind != NodeKind::kName) runtime_error("can only unpack into names");
      scope.set(target.a[i]->str, (*v.array)[i]);
    }
  }

  void set(const Node& n, Scope& scope) {
    const Value v =
        n.a.size() > 1 ? eval(*n.a[1], scope) : Value::from_marked(block(n.body, scope));
    const Node& target = *n.a[0];
    if (target.kind == NodeKind::kName || target.kind == NodeKind::kTuple) {
      bind(target, v, scope);
    } else if (target.kind == NodeKind::kMember) {
      Value object = eval(*target.a[0], scope);
      if (!object.is(ValueKind::kNamespace)) {
        runtime_error("cannot assign an attribute of a non-namespace object");
      }
      if (target.computed || target.a[1]->kind != NodeKind::kName) {
        runtime_error("can only assign a named attribute");
      }
      object.set(target.a[1]->str, v);
    } else {
      runtime_error("invalid assignment target");
    }
  }

  void for_loop(const Node& n, Scope& scope, MarkedText& out) {
    Scope loop_scope(&scope);
    const Node* iterable_node = n.a[1].get();
    const Node* condition = nullptr;
    if (iterable_node->kind == NodeKind::kSelect) {
      condition = iterable_node->a[1].get();
      iterable_node = iterable_node->a[0].get();
    }
    const Value iterable = eval(*iterable_node, loop_scope);
    // `all` shares the iterated array (kept alive by `iterable`); object keys are built once.
    std::shared_ptr<const ValueList> all;
    if (iterable.is(ValueKind::kArray)) {
      all = iterable.array;
    } else if (iterable.is(ValueKind::kObject)) {
      ValueList keys;
      for (const auto& [k, v] : *iterable.object) {
        keys.push_back(iterable.caller_keys ? Value::from_caller(k) : Value::from_string(k));
      }
      all = std::make_shared<const ValueList>(std::move(keys));
    } else {
      runtime_error(fmt::format("cannot iterate over {}", kind_name(iterable.kind)));
    }
    std::vector<size_t> picked;  // indices into *all that pass the loop's condition
    for (size_t idx = 0; idx < all->size(); ++idx) {
      if (condition != nullptr) {
        budget_.iteration();
        Scope test_scope(&loop_scope);
        bind(*n.a[0], (*all)[idx], test_scope);
        if (!truthy(eval(*condition, test_scope))) continue;
      }
      picked.push_back(idx);
    }
    const auto item_at = [&](int64_t i) -> const Value& {
      return (*all)[picked[static_cast<size_t>(i)]];
    };
    bool ran = false;
    const auto count = static_cast<int64_t>(picked.size());
    for (int64_t i = 0; i < count; ++i) {
      budget_.iteration();
      const Value& item = item_at(i);
      const Value previous = i > 0 ? item_at(i - 1) : Value{};
      const Value next = i + 1 < count ? item_at(i + 1) : Value{};
      // The item is copied into the loop variable and loop.previtem / loop.nextitem.
      budget_.work(copy_cost(item) + 2 * (copy_cost(previous) + copy_cost(next)));
      loop_scope.set("loop", Value::from_object({
                                 {"index", Value::from_int(i + 1)},
                                 {"index0", Value::from_int(i)},
                                 {"revindex", Value::from_int(count - i)},
                                 {"revindex0", Value::from_int(count - i - 1)},
                                 {"first", Value::from_bool(i == 0)},
                                 {"last", Value::from_bool(i == count - 1)},
                                 {"length", Value::from_int(count)},
                                 {"previtem", previous},
                                 {"nextitem", next},
                             }));
      bind(*n.a[0], item, loop_scope);
      try {
        out.append(block(n.body, loop_scope));  // output of an interrupted iteration is dropped
      } catch (const ContinueSignal&) {
        continue;
      } catch (const BreakSignal&) {
        break;
      }
      ran = true;
    }
    if (!ran) out.append(block(n.alternate, loop_scope));
  }

  // Every evaluated node is a step; what it returns is charged as work: the bytes of a string
  // (copied even by a plain lookup), the items of an array that the node built.
  Value eval(const Node& n, Scope& scope) {
    budget_.step();
    Value v = eval_node(n, scope);
    const bool lookup = n.kind == NodeKind::kName ||
                        (n.kind == NodeKind::kMember && n.a[1]->kind != NodeKind::kSlice) ||
                        n.kind == NodeKind::kSelect || n.kind == NodeKind::kTernary;
    budget_.work(lookup ? copy_cost(v) : build_cost(v));
    return v;
  }

  Value eval_node(const Node& n, Scope& scope) {
    switch (n.kind) {
      case NodeKind::kInteger:
        return Value::from_int(n.integer);
      case NodeKind::kFloat:
        return Value::from_float(n.number);
      case NodeKind::kString:
        return Value::from_string(n.str);
      case NodeKind::kArray:
      case NodeKind::kTuple: {
        ValueList items;
        for (const auto& item : n.a) items.push_back(eval(*item, scope));
        return Value::from_array(std::move(items));
      }
      case NodeKind::kObject: {
        Value o = Value::from_object({});
        for (size_t i = 0; i + 1 < n.a.size(); i += 2) {
          const Value key = eval(*n.a[i], scope);
          if (!key.is(ValueKind::kString)) runtime_error("mapping keys must be strings");
          o.caller_keys = o.caller_keys || !key.untrusted.empty();
          o.set(key.string, eval(*n.a[i + 1], scope));
        }
        return o;
      }
      case NodeKind::kName:
        return scope.lookup(n.str);
      case NodeKind::kMember:
        return member(n, scope);
      case NodeKind::kCall:
        return call(n, scope);
      case NodeKind::kUnary:
        return unary(n, scope);
      case NodeKind::kBinary:
        return binary(n, scope);
      case NodeKind::kFilter:
        return filter(n, scope);
      case NodeKind::kTest: {
        const bool r = apply_test(eval(*n.a[0], scope), n.str);
        return Value::from_bool(n.negate ? !r : r);
      }
      case NodeKind::kSelect:
        return truthy(eval(*n.a[1], scope)) ? eval(*n.a[0], scope) : Value{};
      case NodeKind::kTernary:
        return truthy(eval(*n.a[0], scope)) ? eval(*n.a[1], scope) : eval(*n.a[2], scope);
      default:
        runtime_error("statement used as an expression");
    }
  }

  void arguments(const Node& call_node, size_t first, Scope& scope, ValueList& args,
                 Kwargs& kwargs) {
    for (size_t i = first; i < call_node.a.size(); ++i) {
      const Node& arg = *call_node.a[i];
      if (arg.kind == NodeKind::kKeyword) {
        kwargs.emplace_back(arg.str, eval(*arg.a[0], scope));
      } else {
        args.push_back(eval(arg, scope));
      }
    }
  }

  Value call(const Node& n, Scope& scope) {
    ValueList args;
    Kwargs kwargs;
    arguments(n, 1, scope, args, kwargs);
    const Value fn = eval(*n.a[0], scope);
    if (!fn.is(ValueKind::kFunction)) {
      runtime_error(fmt::format("cannot call a value of type {}", kind_name(fn.kind)));
    }
    return (*fn.function)(args, kwargs);
  }

  Value member(const Node& n, Scope& scope) {
    const Value object = eval(*n.a[0], scope);
    const Node& prop_node = *n.a[1];
    budget_.work(object.string.size());  // indexing and slicing a string scan its code points
    if (n.computed && prop_node.kind == NodeKind::kSlice) {
      const Value start = prop_node.a[0] ? eval(*prop_node.a[0], scope) : Value{};
      const Value stop = prop_node.a[1] ? eval(*prop_node.a[1], scope) : Value{};
      const Value step = prop_node.a[2] ? eval(*prop_node.a[2], scope) : Value{};
      if (object.is(ValueKind::kArray)) {
        ValueList out;
        for (int64_t i :
             slice_indices(static_cast<int64_t>(object.array->size()), start, stop, step)) {
          out.push_back((*object.array)[static_cast<size_t>(i)]);
        }
        return Value::from_array(std::move(out));
      }
      if (object.is(ValueKind::kString)) {
        const auto cps = code_points(object.string);
        MarkedText out;
        for (int64_t i : slice_indices(static_cast<int64_t>(cps.size()), start, stop, step)) {
          const CodePoint& cp = cps[static_cast<size_t>(i)];
          out.append(std::string_view(object.string).substr(cp.begin, cp.end - cp.begin),
                     slice_ranges(object.untrusted, cp.begin, cp.end));
        }
        return Value::from_marked(std::move(out));
      }
      runtime_error("only arrays and strings can be sliced");
    }
    Value prop;
    if (n.computed) {
      prop = eval(prop_node, scope);
    } else if (prop_node.kind == NodeKind::kInteger) {
      prop = Value::from_int(prop_node.integer);
    } else {
      prop = Value::from_string(prop_node.str);
    }
    if (object.is(ValueKind::kObject) || object.is(ValueKind::kNamespace)) {
      if (!prop.is(ValueKind::kString)) runtime_error("mapping keys must be strings");
      if (const Value* v = object.find(prop.string)) return *v;
      return object.is(ValueKind::kObject) ? builtin_member(object, prop.string) : Value{};
    }
    if (object.is(ValueKind::kArray) || object.is(ValueKind::kString)) {
      if (prop.is(ValueKind::kInt)) {
        if (object.is(ValueKind::kArray)) {
          const auto size = static_cast<int64_t>(object.array->size());
          const int64_t i = prop.integer < 0 ? size + prop.integer : prop.integer;
          return (i >= 0 && i < size) ? (*object.array)[static_cast<size_t>(i)] : Value{};
        }
        const auto cps = code_points(object.string);
        const auto size = static_cast<int64_t>(cps.size());
        const int64_t i = prop.integer < 0 ? size + prop.integer : prop.integer;
        if (i < 0 || i >= size) return Value{};
        const CodePoint& cp = cps[static_cast<size_t>(i)];
        return substring(object, cp.begin, cp.end);
      }
      if (prop.is(ValueKind::kString)) return builtin_member(object, prop.string);
      runtime_error("index must be an integer or a string");
    }
    if (!prop.is(ValueKind::kString)) runtime_error("attribute names must be strings");
    return builtin_member(object, prop.string);
  }

  Value unary(const Node& n, Scope& scope) {
    const Value v = eval(*n.a[0], scope);
    if (n.str == "not") return Value::from_bool(!truthy(v));
    if (!v.is_number() && !v.is(ValueKind::kBool)) {
      runtime_error(fmt::format("unary {} needs a number, got {}", n.str, kind_name(v.kind)));
    }
    const double sign = n.str == "-" ? -1 : 1;
    if (v.is(ValueKind::kFloat)) return Value::from_float(sign * v.number);
    return Value::from_int(static_cast<int64_t>(sign * as_double(v)));
  }

  Value binary(const Node& n, Scope& scope) {
    const std::string& op = n.str;
    const Value left = eval(*n.a[0], scope);
    if (op == "and") return truthy(left) ? eval(*n.a[1], scope) : left;
    if (op == "or") return truthy(left) ? left : eval(*n.a[1], scope);
    const Value right = eval(*n.a[1], scope);
    if (op == "==") return Value::from_bool(loose_equal(left, right));
    if (op == "!=") return Value::from_bool(!loose_equal(left, right));
    if (left.is(ValueKind::kUndefined) || right.is(ValueKind::kUndefined)) {
      if (right.is(ValueKind::kUndefined) && (op == "in" || op == "not in")) {
        return Value::from_bool(op == "not in");
      }
      runtime_error("cannot perform operation " + op + " on undefined values");
    }
    if (left.is(ValueKind::kNone) || right.is(ValueKind::kNone)) {
      runtime_error("cannot perform operation " + op + " on none");
    }
    if (op == "~") return concat(left, right);
    const bool left_num = left.is_number();
    const bool right_num = right.is_number();
    if (op == "**" && (left_num || left.is(ValueKind::kBool)) &&
        (right_num || right.is(ValueKind::kBool))) {
      const double r = std::pow(as_double(left), as_double(right));
      const bool is_float =
          left.is(ValueKind::kFloat) || right.is(ValueKind::kFloat) || as_double(right) < 0;
      return number_result(r, !is_float);
    }
    if (left_num && right_num) {
      const double a = as_double(left);
      const double b = as_double(right);
      const bool ints = left.is(ValueKind::kInt) && right.is(ValueKind::kInt);
      if (op == "+") return number_result(a + b, ints);
      if (op == "-") return number_result(a - b, ints);
      if (op == "*") return number_result(a * b, ints);
      if (op == "/") return Value::from_float(a / b);
      if (op == "//") return number_result(std::floor(a / b), ints);
      if (op == "%") return number_result(std::fmod(a, b), ints);
      if (op == "<") return Value::from_bool(a < b);
      if (op == ">") return Value::from_bool(a > b);
      if (op == "<=") return Value::from_bool(a <= b);
      if (op == ">=") return Value::from_bool(a >= b);
    } else if (left.is(ValueKind::kArray) && right.is(ValueKind::kArray)) {
      if (op == "+") {
        ValueList items = *left.array;
        items.insert(items.end(), right.array->begin(), right.array->end());
        return Value::from_array(std::move(items));
      }
    } else if (right.is(ValueKind::kArray)) {
      budget_.work(build_cost(right));  // compared item by item
      bool member = false;
      for (const auto& x : *right.array) member = member || strict_equal(x, left);
      if (op == "in") return Value::from_bool(member);
      if (op == "not in") return Value::from_bool(!member);
    }
    if ((left.is(ValueKind::kString) || right.is(ValueKind::kString)) && op == "+") {
      return concat(left, right);
    }
    if (left.is(ValueKind::kString) && right.is(ValueKind::kString)) {
      const bool found = find_text(right.string, left.string) != std::string::npos;
      if (op == "in") return Value::from_bool(found);
      if (op == "not in") return Value::from_bool(!found);
    }
    if (left.is(ValueKind::kString) && right.is(ValueKind::kObject)) {
      if (op == "in") return Value::from_bool(right.find(left.string) != nullptr);
      if (op == "not in") return Value::from_bool(right.find(left.string) == nullptr);
    }
    runtime_error(fmt::format("unknown operator '{}' between {} and {}", op, kind_name(left.kind),
                              kind_name(right.kind)));
  }

  RenderBudget budget_;

  Value filter(const Node& n, Scope& scope) {
    const Value operand = eval(*n.a[0], scope);
    const Node& f = *n.a[1];
    if (f.kind == NodeKind::kName) return apply_filter(operand, f.str, {}, {}, false);
    if (f.a[0]->kind != NodeKind::kName) runtime_error("a filter must be named");
    ValueList args;
    Kwargs kwargs;
    arguments(f, 1, scope, args, kwargs);
    return apply_filter(operand, f.a[0]->str, args, kwargs, true);
  }
};

}  // namespace

MarkedText render(const NodeList& program, const ObjectEntries& globals) {
  Scope root;
  root.set("namespace", Value::from_function(namespace_fn));
  root.set("range", Value::from_function(range_fn));
  root.set(
      "raise_exception", Value::from_function([](const ValueList& args, const Kwargs&) -> Value {
        runtime_error("raise_exception: " + (args.empty() ? std::string() : to_output(args[0])));
      }));
  for (const char* name : {"true", "True"}) root.set(name, Value::from_bool(true));
  for (const char* name : {"false", "False"}) root.set(name, Value::from_bool(false));
  for (const char* name : {"none", "None"}) root.set(name, Value::none());
  Scope globals_scope(&root);
  for (const auto& [k, v] : globals) globals_scope.set(k, v);
  Interpreter interpreter;
  try {
    return interpreter.block(program, globals_scope);
  } catch (const BreakSignal&) {
    runtime_error("'break' outside a loop");
  } catch (const ContinueSignal&) {
    runtime_error("'continue' outside a loop");
  }
}

}  // namespace dsinfer::tokenizer::jinja
