package mapping

import (
	"fmt"
	"math"
	"math/big"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm/runtime"
)

// Expression semantics that differ from the expression language's own.
//
// Integer +, - and * are exact: the language computes them in Go's int,
// which wraps silently and reads a BIGINT UNSIGNED above 2^63-1 as a
// negative number, so u + 1 could write -1. Here a result above 2^63-1
// is an unsigned integer and one that fits no 64-bit integer stops the
// stream with an error naming the expression, as a NULL operand does.
// Other operands (strings, floats, dates) keep the language's meaning.
//
// string() of NULL is NULL, as SQL's CAST is, where the language writes
// "<nil>".

// exprOptions are the options every mapping expression is compiled with.
var exprOptions = []expr.Option{
	expr.Function("_add", arith('+'), new(func(any, any) any)),
	expr.Function("_sub", arith('-'), new(func(any, any) any)),
	expr.Function("_mul", arith('*'), new(func(any, any) any)),
	expr.Operator("+", "_add"),
	expr.Operator("-", "_sub"),
	expr.Operator("*", "_mul"),
	expr.Function("_neg", negate, new(func(any) any)),
	expr.Patch(negation{}),
	expr.DisableBuiltin("string"),
	expr.Function("string", func(params ...any) (any, error) {
		if params[0] == nil {
			return nil, nil
		}
		return fmt.Sprintf("%v", params[0]), nil
	}, new(func(any) any)),
}

// arith returns the operator op: exact on two integers (see above), the
// language's own otherwise.
func arith(op byte) func(params ...any) (any, error) {
	return func(params ...any) (any, error) {
		a, b := params[0], params[1]
		x, xok := int64Of(a)
		y, yok := int64Of(b)
		if xok && yok {
			if r, ok := exact(op, x, y); ok {
				return int(r), nil
			}
		}
		bx, xok := bigInt(a)
		by, yok := bigInt(b)
		if !xok || !yok {
			switch op {
			case '+':
				return runtime.Add(a, b), nil
			case '-':
				return runtime.Subtract(a, b), nil
			}
			return runtime.Multiply(a, b), nil
		}
		r := new(big.Int)
		switch op {
		case '+':
			r.Add(bx, by)
		case '-':
			r.Sub(bx, by)
		default:
			r.Mul(bx, by)
		}
		switch {
		case r.IsInt64():
			return int(r.Int64()), nil
		case r.IsUint64():
			return r.Uint64(), nil
		}
		return nil, fmt.Errorf("integer overflow: the result of %c is beyond 64-bit integers", op)
	}
}

// negation turns unary minus into _neg, which the language's operators
// cannot be made to call.
type negation struct{}

// Visit implements ast.Visitor.
func (negation) Visit(node *ast.Node) {
	if n, ok := (*node).(*ast.UnaryNode); ok && n.Operator == "-" {
		ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: "_neg"}, Arguments: []ast.Node{n.Node}})
	}
}

// negate is unary minus, exact on integers: the negation of an unsigned
// integer above 2^63 fits no 64-bit integer.
func negate(params ...any) (any, error) {
	return arith('-')(0, params[0])
}

// exact returns x op y and true when it fits an int64.
func exact(op byte, x, y int64) (int64, bool) {
	switch op {
	case '+':
		r := x + y
		return r, (x^r)&(y^r) >= 0
	case '-':
		r := x - y
		return r, (x^y)&(x^r) >= 0
	}
	if x == 0 || y == 0 {
		return 0, true
	}
	r := x * y
	return r, r/y == x && !(x == -1 && y == math.MinInt64) && !(y == -1 && x == math.MinInt64)
}

// int64Of returns v as an int64 when it is an integer that fits one.
func int64Of(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case uint64:
		return int64(x), x <= math.MaxInt64
	case int32:
		return int64(x), true
	case uint32:
		return int64(x), true
	case int16:
		return int64(x), true
	case uint16:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint8:
		return int64(x), true
	}
	return 0, false
}

// bigInt returns v as a big.Int when it is an integer.
func bigInt(v any) (*big.Int, bool) {
	if x, ok := int64Of(v); ok {
		return big.NewInt(x), true
	}
	switch x := v.(type) {
	case uint64:
		return new(big.Int).SetUint64(x), true
	case uint:
		return new(big.Int).SetUint64(uint64(x)), true
	}
	return nil, false
}
