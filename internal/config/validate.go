package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"regexp"

	"github.com/tributary-cdc/tributary/internal/problem"
)

// namePattern is what source and sink names must match: they end up in
// Pebble keys, metric labels and file names.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// Validate reports every problem of c at once as Problems; zero fields are
// accepted where they have a default. A Config from Load or Parse carries
// positions in its file; one built in code gets key paths only.
func (c *Config) Validate() error {
	p := newCollector(c.file, c.where)
	c.check(p)
	return p.err()
}

// check reports the semantic problems of c to p.
func (c *Config) check(p *collector) {
	if !validLevel(c.Log.Level) {
		p.At("log.level", "must be one of debug, info, warn, error")
	}
	switch c.Log.Format {
	case "", LogAuto, LogText, LogJSON:
	default:
		p.At("log.format", fmt.Sprintf("must be %s, %s or %s", LogAuto, LogText, LogJSON))
	}
	if c.Pebble.Dir == "" {
		p.At("pebble.dir", "is required")
	}
	c.Lookups.Check(problem.Under(p, "lookups"))
	c.Verify.Check(problem.Under(p, "verify"))
	c.Checkpoint.Check(problem.Under(p, "checkpoint"))
	if l := c.HTTP.Listen; l != "" {
		if _, port, err := net.SplitHostPort(l); err != nil || port == "" {
			p.At("http.listen", "must be host:port, for example 127.0.0.1:9107")
		} else if c.HTTP.PProf && !loopback(l) && c.HTTP.TokenEnv == "" {
			p.At("http.pprof", "serves the profiler, which can expose memory contents, only on a loopback "+
				"http.listen address (127.0.0.1 or [::1]) or behind http.token_env; "+l+" is not one")
		}
	} else if c.HTTP.PProf {
		p.At("http.pprof", "needs http.listen")
	}
	if c.HTTP.TokenEnv != "" {
		if v, set := os.LookupEnv(c.HTTP.TokenEnv); !set || len(v) < 16 {
			p.At("http.token_env", fmt.Sprintf("environment variable %s must hold a token of at least 16 characters", c.HTTP.TokenEnv))
		}
	}
	c.checkSources(p)
	c.checkSinks(p)
	c.checkPaths(p)
}

// checkPaths reports paths of the wrong kind: a Pebble folder that is a
// file, a mappings path that does not exist, a jsonl output that is a
// folder.
func (c *Config) checkPaths(p *collector) {
	if info, err := os.Stat(c.Pebble.Dir); c.Pebble.Dir != "" && err == nil && !info.IsDir() {
		p.At("pebble.dir", c.Pebble.Dir+" is a file, not a folder")
	}
	if info, err := os.Stat(c.Migrations); c.Migrations != "" && (err != nil || !info.IsDir()) {
		p.At("migrations", c.Migrations+" is not a folder")
	}
	for i, m := range c.Mappings {
		if _, err := os.Stat(m); errors.Is(err, os.ErrNotExist) {
			p.At(fmt.Sprintf("mappings[%d]", i), m+" does not exist")
		}
	}
	for i, s := range c.Sinks {
		if s.JSONL == nil || s.JSONL.Path == "" || s.JSONL.Path == "-" {
			continue
		}
		key := fmt.Sprintf("sinks[%d].jsonl.path", i)
		if info, err := os.Stat(s.JSONL.Path); err == nil && info.IsDir() {
			p.At(key, s.JSONL.Path+" is a folder; name a file")
		}
	}
}

// validLevel reports whether l is one of the named levels.
func validLevel(l slog.Level) bool {
	for _, known := range levelNames {
		if known == l {
			return true
		}
	}
	return false
}

// checkSources reports problems of each source and duplicates across them.
func (c *Config) checkSources(p *collector) {
	if len(c.Sources) == 0 {
		p.At("sources", "at least one source is required")
	}
	names := map[string]int{}
	ids := map[uint32]int{}
	for i := range c.Sources {
		s := &c.Sources[i]
		key := fmt.Sprintf("sources[%d]", i)
		checkName(p, key, s.Name, names, i)
		if j, dup := ids[s.ServerID]; dup && s.ServerID != 0 {
			p.At(key+".server_id", fmt.Sprintf("duplicate server_id %d (also sources[%d])", s.ServerID, j))
		} else if s.ServerID != 0 {
			ids[s.ServerID] = i
		}
		s.Check(problem.Under(p, key))
		if s.AllowPartialRowImage && c.hasSink(SinkMySQL) {
			p.At(key+".allow_partial_row_image", "cannot be used with a mysql sink: an update's partial after image lacks "+
				"the columns the update left alone, which the target would receive as NULL; set binlog_row_image=FULL on the source")
		}
	}
}

// hasSink reports whether a sink of type t is configured.
func (c *Config) hasSink(t SinkType) bool {
	for _, s := range c.Sinks {
		if s.Type == t {
			return true
		}
	}
	return false
}

// checkName reports a missing, malformed or repeated name of the i-th
// entry at key; seen maps the names met so far to their index.
func checkName(p *collector, key, name string, seen map[string]int, i int) {
	switch j, dup := seen[name]; {
	case name == "":
		p.At(key+".name", "is required")
	case !namePattern.MatchString(name):
		p.At(key+".name", fmt.Sprintf("invalid name %q: must match [a-z0-9][a-z0-9_-]*", name))
	case dup:
		p.At(key+".name", fmt.Sprintf("duplicate name %q (also %s[%d])", name, parentKey(key), j))
	default:
		seen[name] = i
	}
}

// checkSinks reports problems of each sink and duplicate names.
func (c *Config) checkSinks(p *collector) {
	if len(c.Sinks) == 0 {
		p.At("sinks", "at least one sink is required")
	}
	names := map[string]int{}
	for i := range c.Sinks {
		key := fmt.Sprintf("sinks[%d]", i)
		checkName(p, key, c.Sinks[i].Name, names, i)
		c.Sinks[i].check(key, p)
		if c.Sinks[i].Type == SinkMySQL && len(c.Mappings) == 0 {
			p.At(key+".type", "a mysql sink writes the rows mappings derive, and mappings: lists none: it would write nothing")
		}
	}
}

// loopback reports whether the listen address hostport binds only a
// loopback interface.
func loopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
