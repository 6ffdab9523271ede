package mapping

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"go.yaml.in/yaml/v3"

	"github.com/tributary-cdc/tributary/internal/change"
)

// metadata is what the identifier meta refers to in expressions.
type metadata struct {
	Source     string    `expr:"source"`
	Schema     string    `expr:"schema"`
	Table      string    `expr:"table"`
	CommitTime time.Time `expr:"commit_time"`
	GTID       string    `expr:"gtid"`
}

// metaName is the identifier of the metadata in expressions.
const metaName = "meta"

// compileEnv types meta for the checker; other identifiers are columns of
// unknown type.
var compileEnv = map[string]any{metaName: metadata{}}

// progKind says how a program is evaluated.
type progKind uint8

const (
	// progColumn copies one source column.
	progColumn progKind = iota + 1
	// progMeta copies one metadata field.
	progMeta
	// progConst is a value computed once at load time.
	progConst
	// progVM runs on the expression machine.
	progVM
)

// program is one compiled expression.
type program struct {
	src  string
	kind progKind
	// column is the column a progColumn copies; ref is its index in the
	// owning contributor's refs.
	column string
	ref    int
	// field is the metadata field a progMeta copies.
	field string
	// constant is the value of a progConst.
	constant change.Value
	vm       *vm.Program
	// refs lists the source columns the expression names, sorted.
	refs []string
	// meta lists the metadata fields the expression reads (source,
	// schema ...), sorted.
	meta []string
}

// exprError is a compile error with its offset inside the expression.
type exprError struct {
	msg       string
	line, col int // 1-based line, 0-based column within the expression; 0 line when unknown
}

func (e *exprError) Error() string { return e.msg }

// compile compiles src; boolean requires a boolean result.
func compile(src string, null, boolean bool) (*program, error) {
	if null {
		if boolean {
			return nil, &exprError{msg: "filter must not be null"}
		}
		return &program{src: "nil", kind: progConst}, nil
	}
	opts := []expr.Option{expr.Env(compileEnv), expr.AllowUndefinedVariables()}
	if boolean {
		opts = append(opts, expr.AsBool())
	}
	// The language's own compile finds the errors, with their positions;
	// the program run is compiled again with exprOptions (arith.go),
	// whose operators take any operands.
	prog, err := expr.Compile(src, opts...)
	if err == nil {
		prog, err = expr.Compile(src, append(opts, exprOptions...)...)
	}
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			return nil, &exprError{msg: fe.Message, line: fe.Line, col: fe.Column}
		}
		return nil, &exprError{msg: err.Error()}
	}
	p := &program{src: src, vm: prog, kind: progVM}
	node := prog.Node()
	refs, usesMeta, clock := identifiers(&node)
	if clock {
		return nil, &exprError{msg: "now() is not allowed: a replay must compute the same value (use meta.commit_time)"}
	}
	p.refs = refs
	if usesMeta {
		p.meta = metaFields(&node)
	}
	switch n := node.(type) {
	case *ast.IdentifierNode:
		if n.Value != metaName {
			p.kind, p.column = progColumn, n.Value
			return p, nil
		}
	case *ast.MemberNode:
		if id, ok := n.Node.(*ast.IdentifierNode); ok && id.Value == metaName && !n.Method {
			if s, ok := n.Property.(*ast.StringNode); ok {
				p.kind, p.field = progMeta, s.Value
				return p, nil
			}
		}
	}
	if len(refs) == 0 && !usesMeta {
		v, err := expr.Run(prog, map[string]any{metaName: metadata{}})
		if err != nil {
			return nil, &exprError{msg: err.Error()}
		}
		c, err := fromResult(v)
		if err != nil {
			return nil, &exprError{msg: err.Error()}
		}
		if boolean {
			if _, ok := c.(int64); !ok && c != nil {
				return nil, &exprError{msg: "filter must be a boolean expression"}
			}
		}
		p.kind, p.constant = progConst, c
	}
	return p, nil
}

// refCollector gathers the identifiers of an expression that name columns.
type refCollector struct {
	idents  []*ast.IdentifierNode
	callees map[*ast.IdentifierNode]bool
	locals  map[string]bool
	// clock is set when the expression reads the wall clock.
	clock bool
}

// Visit implements ast.Visitor.
func (r *refCollector) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		r.idents = append(r.idents, n)
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok {
			r.callees[id] = true
		}
	case *ast.VariableDeclaratorNode:
		r.locals[n.Name] = true
	case *ast.BuiltinNode:
		r.clock = r.clock || n.Name == "now"
	}
}

// identifiers returns the sorted column names node refers to, whether it
// refers to the metadata and whether it reads the clock.
func identifiers(node *ast.Node) ([]string, bool, bool) {
	r := &refCollector{callees: map[*ast.IdentifierNode]bool{}, locals: map[string]bool{}}
	ast.Walk(node, r)
	seen := map[string]bool{}
	var refs []string
	usesMeta := false
	for _, id := range r.idents {
		switch {
		case r.callees[id] || r.locals[id.Value] || (len(id.Value) > 0 && id.Value[0] == '$'):
		case id.Value == metaName:
			usesMeta = true
		case !seen[id.Value]:
			seen[id.Value] = true
			refs = append(refs, id.Value)
		}
	}
	sort.Strings(refs)
	return refs, usesMeta, r.clock
}

// exprPos places an expression error inside the YAML scalar n when it can.
func exprPos(n *yaml.Node, err error) pos {
	p := at(n)
	var ee *exprError
	if !errors.As(err, &ee) || ee.line != 1 {
		return p
	}
	switch n.Style {
	case 0:
		p.col += ee.col
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		p.col += ee.col + 1
	}
	return p
}

// metaValue returns metadata field name of m as a change value.
func metaValue(m *metadata, name string) change.Value {
	switch name {
	case "source":
		return m.Source
	case "schema":
		return m.Schema
	case "table":
		return m.Table
	case "gtid":
		return m.GTID
	case "commit_time":
		return temporal(m.CommitTime)
	}
	return nil
}

// temporal renders t as a DATETIME(6) value in UTC.
func temporal(t time.Time) change.Temporal {
	return change.Temporal(t.UTC().Format("2006-01-02 15:04:05.000000"))
}

// fromResult converts an expression result to a change value.
func fromResult(v any) (change.Value, error) {
	switch x := v.(type) {
	case nil, int64, uint64, float64, float32, string, []byte,
		change.Decimal, change.Temporal, change.JSON:
		return v, nil
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case time.Time:
		return temporal(x), nil
	case time.Duration:
		return nil, fmt.Errorf("expression result of type %T cannot be stored in a column", v)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return rv.Uint(), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	case reflect.String:
		return rv.String(), nil
	}
	return nil, fmt.Errorf("expression result of type %T cannot be stored in a column", v)
}
