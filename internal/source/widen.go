package source

import (
	"slices"
	"strconv"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Retyped columns.
//
// An ALTER that changes a column's type rewrites every value the column
// holds without a row event. Widening keeps every value as it was read
// (varchar(10) to varchar(20), int to bigint, decimal(10,2) to
// decimal(12,4), datetime(0) to datetime(6), an ENUM with members added
// at its end); anything else may change values a target copied: a
// shorter string, fewer decimal or fraction digits (rounded even under a
// strict sql_mode), a narrower integer (clamped outside one), another
// kind or character set. Such a column counts as retyped.

// retyped reports whether after may hold a value of before otherwise than
// before did: another kind or character set, or a type that is not before's
// nor a widening of it.
func retyped(before, after change.Column) bool {
	if after.Charset != before.Charset {
		return true
	}
	// Another kind of value, but for the numeric widenings across kinds:
	// unsigned to a larger signed integer, FLOAT to DOUBLE.
	if after.Kind != before.Kind && !(before.Kind == change.KindUint && after.Kind == change.KindInt) &&
		!(before.Kind == change.KindFloat && after.Kind == change.KindDouble) {
		return true
	}
	return after.Type != before.Type && !widens(before.Type, after.Type)
}

// ranks order the types of a family by the values they hold: a type holds
// every value of the types before it.
var ranks = [][]string{
	{"tinyint", "smallint", "mediumint", "int", "bigint"},
	{"tinyint unsigned", "smallint unsigned", "mediumint unsigned", "int unsigned", "bigint unsigned"},
	{"tinytext", "text", "mediumtext", "longtext"},
	{"tinyblob", "blob", "mediumblob", "longblob"},
	{"float", "double"},
}

// widens reports whether the type to holds every value of the type from
// as from held it (types as change.Column.Type writes them).
func widens(from, to string) bool {
	for _, r := range ranks {
		if i, j := slices.Index(r, from), slices.Index(r, to); i >= 0 && j >= 0 {
			return j >= i
		}
	}
	// An unsigned integer fits the signed type of the next size up.
	if i, j := slices.Index(ranks[1], from), slices.Index(ranks[0], to); i >= 0 && j > i {
		return true
	}
	fb, fa := typeArgs(from)
	tb, ta := typeArgs(to)
	// first returns the first argument of args, def without one.
	first := func(args []int, def int) int {
		if len(args) == 0 {
			return def
		}
		return args[0]
	}
	switch fb {
	case "enum", "set":
		// Members added at the end keep every member's number.
		return tb == fb && strings.HasPrefix(to, strings.TrimSuffix(from, ")")+",")
	case "char", "varchar":
		// A CHAR reads without its trailing spaces, as a VARCHAR or a
		// TEXT then holds it; not the reverse.
		switch tb {
		case "varchar":
			return first(ta, 0) >= first(fa, 0)
		case "char":
			return fb == "char" && first(ta, 0) >= first(fa, 0)
		case "text", "mediumtext", "longtext":
			return true
		}
	case "varbinary":
		switch tb {
		case "varbinary":
			return first(ta, 0) >= first(fa, 0)
		case "blob", "mediumblob", "longblob":
			return true
		}
	case "decimal":
		// decimal(p,s): p-s digits before the point, s after.
		return tb == "decimal" && len(fa) == 2 && len(ta) == 2 && ta[1] >= fa[1] && ta[0]-ta[1] >= fa[0]-fa[1]
	case "bit":
		return tb == "bit" && first(ta, 1) >= first(fa, 1)
	case "time", "datetime", "timestamp":
		// Fraction digits: none without an argument.
		return tb == fb && first(ta, 0) >= first(fa, 0)
	}
	return false
}

// typeArgs splits "decimal(10,2)" into "decimal" and [10 2], and a type
// without arguments into itself and nil. Arguments that are not numbers
// (ENUM members) are left out.
func typeArgs(t string) (string, []int) {
	i := strings.IndexByte(t, '(')
	if i < 0 || !strings.HasSuffix(t, ")") {
		return t, nil
	}
	var args []int
	for _, a := range strings.Split(t[i+1:len(t)-1], ",") {
		n, err := strconv.Atoi(strings.TrimSpace(a))
		if err != nil {
			return t[:i], nil
		}
		args = append(args, n)
	}
	return t[:i], args
}
