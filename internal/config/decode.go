package config

import (
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

var (
	durationType = reflect.TypeFor[time.Duration]()
	levelType    = reflect.TypeFor[slog.Level]()
)

// decoder fills a Config from a YAML node tree. Struct fields are mapping
// keys named by their yaml tag; scalars have environment variables expanded
// before conversion; every value's position is recorded under its key path.
type decoder struct {
	p *collector
}

// decode stores n, the value at key, into v.
func (d *decoder) decode(n *yaml.Node, key string, v reflect.Value) {
	n = resolve(n)
	d.p.where[key] = nodePos(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return
	}
	switch {
	case v.Type() == durationType:
		d.duration(n, key, v)
		return
	case v.Type() == levelType:
		d.level(n, key, v)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.mapping(n, key, v)
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, key, v.Elem())
	case reflect.Slice:
		d.sequence(n, key, v)
	case reflect.String:
		if s, ok := d.scalar(n, key, "must be a string"); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		d.boolean(n, key, v)
	case reflect.Uint16, reflect.Uint32:
		d.unsigned(n, key, v)
	case reflect.Int, reflect.Int32, reflect.Int64:
		d.signed(n, key, v)
	default:
		d.p.reject(n, key, fmt.Sprintf("has a Go type (%s) that cannot be decoded", v.Type()))
	}
}

// resolve follows aliases to the anchored node. Anchors cannot refer to
// themselves, but the hop count is bounded all the same.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// mapping fills struct v from mapping n, reporting unknown and repeated keys.
func (d *decoder) mapping(n *yaml.Node, key string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.p.reject(n, key, "must be a mapping")
		return
	}
	fields := fieldIndex(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		name := k.Value
		idx, known := fields[name]
		switch {
		case k.Kind != yaml.ScalarNode:
			d.p.node(k, key, "keys must be plain names")
		case name == "<<" && k.ShortTag() == "!!merge":
			d.p.node(k, key, "merge keys (<<) are not supported")
		case !known:
			d.p.node(k, key, fmt.Sprintf("unknown key %q", name))
		case seen[name]:
			d.p.node(k, childKey(key, name), "duplicate key")
		default:
			seen[name] = true
			d.decode(val, childKey(key, name), v.Field(idx))
		}
	}
}

// fieldIndex maps the yaml tag names of t's fields to their indexes;
// fields tagged "-" or untagged are not decoded.
func fieldIndex(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			m[name] = i
		}
	}
	return m
}

// sequence fills slice v from sequence n.
func (d *decoder) sequence(n *yaml.Node, key string, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.p.reject(n, key, "must be a list")
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, fmt.Sprintf("%s[%d]", key, i), s.Index(i))
	}
	v.Set(s)
}

// scalar returns n's value with environment variables expanded, or reports
// why it cannot: wrong says what the value must be when n is not a scalar.
func (d *decoder) scalar(n *yaml.Node, key, wrong string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.p.reject(n, key, wrong)
		return "", false
	}
	s, problems := expand(n.Value)
	for _, msg := range problems {
		d.p.reject(n, key, msg)
	}
	return s, len(problems) == 0
}

func (d *decoder) boolean(n *yaml.Node, key string, v reflect.Value) {
	const wrong = "must be true or false"
	s, ok := d.scalar(n, key, wrong)
	switch {
	case !ok || s == "":
	case strings.EqualFold(s, "true"):
		v.SetBool(true)
	case strings.EqualFold(s, "false"):
		v.SetBool(false)
	default:
		d.p.reject(n, key, wrong)
	}
}

// unsigned accepts 1 up to the type's maximum: zero means unset, so an
// explicit zero is refused rather than silently replaced by a default.
func (d *decoder) unsigned(n *yaml.Node, key string, v reflect.Value) {
	const wrong = "must be an integer"
	s, ok := d.scalar(n, key, wrong)
	if !ok || s == "" {
		return
	}
	u, err := strconv.ParseUint(s, 10, 64)
	max := uint64(math.MaxUint64) >> (64 - v.Type().Bits())
	switch {
	case err != nil && !isDigits(strings.TrimPrefix(s, "-")):
		d.p.reject(n, key, wrong)
	case err != nil || u == 0 || u > max:
		d.p.reject(n, key, fmt.Sprintf("must be between 1 and %d", max))
	default:
		v.SetUint(u)
	}
}

// signed accepts 1 up to the type's maximum, as unsigned does: settings
// held in Go's int types are counts and sizes, where zero means unset.
func (d *decoder) signed(n *yaml.Node, key string, v reflect.Value) {
	const wrong = "must be an integer"
	s, ok := d.scalar(n, key, wrong)
	if !ok || s == "" {
		return
	}
	i, err := strconv.ParseInt(s, 10, 64)
	max := int64(math.MaxInt64) >> (64 - v.Type().Bits())
	switch {
	case err != nil && !isDigits(strings.TrimPrefix(s, "-")):
		d.p.reject(n, key, wrong)
	case err == nil && i <= 0:
		d.p.reject(n, key, "must be at least 1")
	case err != nil || i > max:
		d.p.reject(n, key, fmt.Sprintf("must be at most %d", max))
	default:
		v.SetInt(i)
	}
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func (d *decoder) duration(n *yaml.Node, key string, v reflect.Value) {
	s, ok := d.scalar(n, key, "must be a duration such as 500ms")
	if !ok || s == "" {
		return
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		d.p.reject(n, key, fmt.Sprintf("invalid duration %q (use a unit, such as 500ms or 2s)", s))
		return
	}
	v.SetInt(int64(dur))
}

func (d *decoder) level(n *yaml.Node, key string, v reflect.Value) {
	const wrong = "must be one of debug, info, warn, error"
	s, ok := d.scalar(n, key, wrong)
	if !ok || s == "" {
		return
	}
	l, known := levelNames[strings.ToLower(s)]
	if !known {
		d.p.reject(n, key, wrong)
		return
	}
	v.SetInt(int64(l))
}
