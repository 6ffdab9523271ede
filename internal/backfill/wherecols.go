package backfill

import (
	"fmt"
	"strings"
)

// sqlWords are the words of a predicate that are not column names when
// written bare: operators, literals and the keywords of the expressions a
// WHERE clause commonly holds. A column of the same name is written in
// backquotes (as MySQL itself requires for the reserved ones).
var sqlWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`AND OR NOT XOR IS NULL TRUE FALSE UNKNOWN IN BETWEEN LIKE RLIKE REGEXP
		ESCAPE SOUNDS DIV MOD CASE WHEN THEN ELSE END INTERVAL COLLATE BINARY DISTINCT EXISTS SELECT FROM
		ANY SOME ALL AS DATE TIME TIMESTAMP DATETIME YEAR QUARTER MONTH WEEK DAY HOUR MINUTE SECOND
		MICROSECOND YEAR_MONTH DAY_HOUR DAY_MINUTE DAY_SECOND HOUR_MINUTE HOUR_SECOND MINUTE_SECOND
		CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER LOCALTIME LOCALTIMESTAMP UTC_DATE
		UTC_TIME UTC_TIMESTAMP SIGNED UNSIGNED CHAR INTEGER DECIMAL DOUBLE FLOAT JSON ASC DESC
		CHARACTER SET USING MEMBER OF`) {
		sqlWords[w] = true
	}
}

// RenameColumns rewrites the column names of a predicate (as CheckWhere
// accepts it): every identifier outside string literals that names a
// column, bare or in backquotes, is replaced by rename's answer, written
// in backquotes; rename fails for a name it cannot turn into a column, and
// that error is returned. Function names (an identifier followed by "("), SQL
// keywords and literals, user variables (@name), charset introducers
// (_utf8mb4'...') and hex or bit literals (x'..', b'..') are left alone.
// A keyword that rename also knows as a column is ambiguous and refused
// (write the column in backquotes), as is a qualified name (t.col): the
// rewritten predicate runs against another table.
func RenameColumns(where string, rename func(col string) (string, error)) (string, error) {
	if err := CheckWhere(where); err != nil {
		return "", err
	}
	var b strings.Builder
	for i := 0; i < len(where); {
		c := where[i]
		switch {
		case c == '\'' || c == '"':
			j := endQuote(where, i)
			b.WriteString(where[i:j])
			i = j
		case c == '`':
			j := endQuote(where, i)
			name := strings.ReplaceAll(where[i+1:j-1], "``", "`")
			if err := qualified(where, i, j, name); err != nil {
				return "", err
			}
			to, err := rename(name)
			if err != nil {
				return "", err
			}
			b.WriteString(quote(to))
			i = j
		case c == '@':
			// A user or system variable: @name, @@name, @`name`.
			j := i
			for j < len(where) && where[j] == '@' {
				j++
			}
			if j < len(where) && where[j] == '`' {
				j = endQuote(where, j)
			} else {
				for j < len(where) && (identChar(where[j]) || where[j] == '.') {
					j++
				}
			}
			b.WriteString(where[i:j])
			i = j
		case isDigit(c):
			// A number, 1e5 and 0x1F included.
			j := i
			for j < len(where) && (identChar(where[j]) || where[j] == '.' ||
				(where[j] == '+' || where[j] == '-') && (where[j-1] == 'e' || where[j-1] == 'E')) {
				j++
			}
			b.WriteString(where[i:j])
			i = j
		case identChar(c):
			j := i
			for j < len(where) && identChar(where[j]) {
				j++
			}
			word := where[i:j]
			if next := nextNonSpace(where, j); next == '(' || j < len(where) && (where[j] == '\'' || where[j] == '"') {
				// A function, or an introducer or literal prefix
				// (_utf8mb4'a', x'0f', DATE '2024-01-01' is a keyword).
				b.WriteString(word)
				i = j
				continue
			}
			if err := qualified(where, i, j, word); err != nil {
				return "", err
			}
			to, err := rename(word)
			switch {
			case sqlWords[strings.ToUpper(word)] && err == nil && !strings.EqualFold(to, word):
				return "", fmt.Errorf("%s is both an SQL keyword and a column: write the column in backquotes (`%s`)", word, word)
			case sqlWords[strings.ToUpper(word)]:
				b.WriteString(word)
			case err != nil:
				return "", err
			default:
				b.WriteString(quote(to))
			}
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

// qualified refuses a name written with a qualifier or a field after it
// (t.col, col.x): where[i:j] is the name.
func qualified(where string, i, j int, name string) error {
	if i > 0 && where[i-1] == '.' || j < len(where) && where[j] == '.' {
		return fmt.Errorf("%s is part of a qualified name: name the table's columns alone", name)
	}
	return nil
}

// endQuote returns the index just after the quoted text that starts at
// where[i], under CheckWhere's rules (a doubled quote or, outside
// backquotes, a backslash escapes).
func endQuote(where string, i int) int {
	q := where[i]
	for j := i + 1; j < len(where); j++ {
		switch {
		case where[j] == '\\' && q != '`':
			j++
		case where[j] == q && j+1 < len(where) && where[j+1] == q:
			j++
		case where[j] == q:
			return j + 1
		}
	}
	return len(where)
}

// nextNonSpace returns the first byte of where from i on that is not
// white space, 0 at the end.
func nextNonSpace(where string, i int) byte {
	for ; i < len(where); i++ {
		if where[i] > ' ' {
			return where[i]
		}
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// identChar reports whether c may be part of a bare identifier (letters,
// digits, _ and $, and the bytes of multi-byte UTF-8 letters).
func identChar(c byte) bool {
	return c == '_' || c == '$' || isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
