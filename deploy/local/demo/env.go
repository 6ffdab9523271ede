package demo

import (
	"bufio"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// EnvFile is the name of the stack's env file inside the stack directory.
const EnvFile = "stack.env"

// Keys of the env file; per-server keys are the server's Prefix followed by
// one of the suffixes.
const (
	// KeyPassword holds the password of the tributary user on every server.
	KeyPassword = "TRIBUTARY_PASSWORD"
	// KeyKinesisEndpoint is the Kinesis emulator's URL: http://127.0.0.1:port.
	KeyKinesisEndpoint = "KINESIS_ENDPOINT"
	// KeyKinesisStream names the demo stream on the emulator.
	KeyKinesisStream = "KINESIS_STREAM"
	// KeyKinesisPID is the emulator's process id; empty when stopped.
	KeyKinesisPID = "KINESIS_PID"
	// SuffixDSN is the tributary user's DSN: tributary:pw@tcp(127.0.0.1:port)/.
	SuffixDSN = "_DSN"
	// SuffixRootDSN is root's DSN: root@tcp(127.0.0.1:port)/.
	SuffixRootDSN = "_ROOT_DSN"
	// SuffixPort is the TCP port on 127.0.0.1.
	SuffixPort = "_PORT"
	// SuffixPID is the mariadbd process id; empty when stopped.
	SuffixPID = "_PID"
	// SuffixServerID is the server's @@server_id.
	SuffixServerID = "_SERVER_ID"
	// SuffixGTIDDomain is the server's @@gtid_domain_id.
	SuffixGTIDDomain = "_GTID_DOMAIN"
)

// Env holds the KEY=value pairs of the stack's env file.
type Env map[string]string

// ReadEnv reads an env file. Blank lines and lines starting with '#' are
// skipped; a value may be wrapped in single or double quotes. A missing file
// yields an empty Env and an error wrapping os.ErrNotExist.
func ReadEnv(path string) (Env, error) {
	f, err := os.Open(path)
	if err != nil {
		return Env{}, fmt.Errorf("reading stack env: %w", err)
	}
	defer f.Close()
	env := Env{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok || key == "" {
			return env, fmt.Errorf("reading stack env %s:%d: want KEY=value", path, n)
		}
		env[key] = unquote(value)
	}
	if err := sc.Err(); err != nil {
		return env, fmt.Errorf("reading stack env %s: %w", path, err)
	}
	return env, nil
}

// Write replaces the env file at path atomically, readable by its owner
// only since it holds a password.
func (e Env) Write(path string) error {
	var b strings.Builder
	b.WriteString("# Local stack; in a shell: set -a; . " + path + "; set +a\n")
	for _, k := range slices.Sorted(maps.Keys(e)) {
		fmt.Fprintf(&b, "%s=%s\n", k, quote(e[k]))
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), EnvFile+".*")
	if err != nil {
		return fmt.Errorf("writing stack env: %w", err)
	}
	_, werr := tmp.WriteString(b.String())
	if err := errors.Join(werr, tmp.Chmod(0o600), tmp.Close()); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("writing stack env: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("writing stack env: %w", err)
	}
	return nil
}

// Get returns the value of the server's key with the given suffix.
func (e Env) Get(s Server, suffix string) string {
	return e[s.Prefix()+suffix]
}

// Shell returns the env as "export KEY=value" lines for a shell's eval.
func (e Env) Shell() string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(e)) {
		fmt.Fprintf(&b, "export %s=%s\n", k, quote(e[k]))
	}
	return b.String()
}

// quote wraps v in single quotes when a POSIX shell would otherwise read
// it differently (DSNs hold parentheses).
func quote(v string) string {
	safe := func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			strings.ContainsRune("_-.,:/@+%=", r)
	}
	if strings.IndexFunc(v, func(r rune) bool { return !safe(r) }) < 0 {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// unquote undoes quote, and also accepts a double-quoted value without
// escapes.
func unquote(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		return strings.ReplaceAll(v[1:len(v)-1], `'\''`, "'")
	}
	return v
}
