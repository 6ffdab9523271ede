package config

import (
	"fmt"
	"os"
	"strings"
)

// expand replaces ${VAR} and ${VAR:-default} in s with the environment
// variable's value, the default standing in when VAR is unset or empty, and
// $$ with a literal $. Any other $ is kept as it is. The default is taken
// literally up to the first }. It returns one message per reference that
// cannot be expanded.
func expand(s string) (string, []string) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	var problems []string
	for i := 0; i < len(s); {
		if s[i] != '$' || i+1 == len(s) || (s[i+1] != '$' && s[i+1] != '{') {
			b.WriteByte(s[i])
			i++
			continue
		}
		if s[i+1] == '$' {
			b.WriteByte('$')
			i += 2
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			problems = append(problems, "unterminated ${ (write $$ for a literal $)")
			break
		}
		ref := s[i+2 : i+2+end]
		i += 2 + end + 1
		name, def, hasDef := strings.Cut(ref, ":-")
		if !isEnvName(name) {
			problems = append(problems, fmt.Sprintf("invalid variable reference ${%s}", ref))
			continue
		}
		v, set := os.LookupEnv(name)
		switch {
		case hasDef && v == "":
			b.WriteString(def)
		case set:
			b.WriteString(v)
		default:
			problems = append(problems, fmt.Sprintf("environment variable %s is not set", name))
		}
	}
	return b.String(), problems
}

// isEnvName reports whether name is [A-Za-z_][A-Za-z0-9_]*.
func isEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_', 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z':
		case '0' <= r && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
