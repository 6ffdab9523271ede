package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tributary-cdc/tributary/internal/tlsconf"
)

// Load reads, checks and defaults the configuration file at path. Relative
// paths inside it are resolved against its directory. Problems with the
// content come back as Problems, all at once.
func Load(path string) (*Config, error) {
	return load(path, false)
}

// LoadOffline is Load for commands that read the store or the files only
// and connect to no server: an unset password_env variable or an
// unreadable password_file is not a problem for them, so an operator can
// run them without the secrets.
func LoadOffline(path string) (*Config, error) {
	return load(path, true)
}

func load(path string, offline bool) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("resolving config directory: %w", err)
	}
	return parse(path, dir, data, offline)
}

// Parse checks and defaults a configuration read from a file called name;
// relative paths inside it are resolved against name's directory. Problems
// come back as Problems, all at once.
func Parse(name string, data []byte) (*Config, error) {
	return parse(name, filepath.Dir(name), data, false)
}

// parse decodes, checks and defaults data read from the file called name;
// dir is the base of relative paths. offline drops the problems of unset
// password_env variables and unreadable password files.
func parse(name, dir string, data []byte, offline bool) (*Config, error) {
	c := &Config{file: name, where: map[string]position{"": {1, 1}}}
	p := newCollector(name, c.where)
	root, err := document(data)
	if err != nil {
		p.list = append(p.list, syntaxProblem(name, err))
		return nil, p.err()
	}
	if root != nil {
		(&decoder{p: p}).decode(root, "", reflect.ValueOf(c).Elem())
	}
	c.resolvePaths(dir)
	c.check(p)
	if offline {
		p.list = slices.DeleteFunc(p.list, func(pr Problem) bool {
			return (strings.HasSuffix(pr.Key, ".password_env") && strings.HasSuffix(pr.Message, " is not set")) ||
				(strings.HasSuffix(pr.Key, ".password_file") && strings.HasPrefix(pr.Message, "reading password file: "))
		})
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	c.EnsureDefaults()
	return c, nil
}

// document returns the top node of the single YAML document in data, or
// nil when data holds no document.
func document(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, err
	default:
		return nil, &documentError{line: next.Line}
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil, nil
		}
		return doc.Content[0], nil
	}
	return &doc, nil
}

// documentError reports a second YAML document, starting at line.
type documentError struct{ line int }

func (e *documentError) Error() string { return "only one YAML document is allowed" }

// yamlLine matches the line yaml.v3 puts in front of its syntax errors.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// parserMessages are the yaml.v3 syntax errors raised by its parser rather
// than its scanner: for those it reports the 0-based line where the
// enclosing construct starts, and no line at all for the first one.
var parserMessages = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// syntaxProblem turns a YAML syntax error into a Problem with its line.
func syntaxProblem(file string, err error) Problem {
	var de *documentError
	if errors.As(err, &de) {
		return Problem{File: file, Line: de.line, Message: de.Error()}
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = err.Error()[len(m[0]):]
	}
	if parserMessages[msg] {
		line++
	}
	return Problem{File: file, Line: line, Message: "invalid YAML: " + msg}
}

// resolvePaths makes relative file paths relative to dir.
func (c *Config) resolvePaths(dir string) {
	c.Pebble.Dir = resolvePath(dir, c.Pebble.Dir)
	c.Migrations = resolvePath(dir, c.Migrations)
	for i, m := range c.Mappings {
		c.Mappings[i] = resolvePath(dir, m)
	}
	for _, s := range c.Sinks {
		if s.JSONL != nil && s.JSONL.Path != "-" {
			s.JSONL.Path = resolvePath(dir, s.JSONL.Path)
		}
		if m := s.MySQL; m != nil {
			m.PasswordFile = resolvePath(dir, m.PasswordFile)
			resolveTLS(dir, &m.TLS)
		}
	}
	for i := range c.Sources {
		s := &c.Sources[i]
		s.PasswordFile = resolvePath(dir, s.PasswordFile)
		resolveTLS(dir, &s.TLS)
	}
}

// resolveTLS makes a tls block's file paths relative to dir.
func resolveTLS(dir string, t *tlsconf.Options) {
	t.CAFile = resolvePath(dir, t.CAFile)
	t.CertFile = resolvePath(dir, t.CertFile)
	t.KeyFile = resolvePath(dir, t.KeyFile)
}

func resolvePath(dir, path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}
