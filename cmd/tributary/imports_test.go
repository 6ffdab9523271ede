package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

// importRule is one row of the package table that README.md's Layout
// section describes. Patterns name a package exactly or, ending in "/...",
// a package and everything below it; those starting with cmd/, internal/
// or deploy/ are relative to the module, the others are import paths.
type importRule struct {
	pkgs   []string // the packages the row applies to
	except []string // packages left out of pkgs
	forbid []string // imports the packages must not have
	allow  []string // imports allowed although forbid matches them
	// tests checks the imports of the _test files instead of the package's.
	tests bool
	// everywhere marks a rule across the tree: it places no package, so
	// every package under cmd/ and internal/ still needs a row of its own.
	everywhere bool
	why        string
}

// importRules is the package table of the house.
var importRules = []importRule{
	{
		pkgs:   []string{"cmd/tributary"},
		forbid: []string{"internal/..."},
		allow:  []string{"internal/config", "internal/replicator", "internal/admin"},
		why:    "the command holds flags and subcommands only; the work is in the service and the offline commands",
	},
	{
		pkgs: []string{
			"internal/change", "internal/problem", "internal/dsn", "internal/retry",
			"internal/keyexpr", "internal/exprerr", "internal/mysqlerr", "internal/gcpace",
		},
		forbid: []string{"internal/..."},
		why:    "a leaf the stages share; depending on another package of the module would tie the stages together through it",
	},
	{
		pkgs:   []string{"internal/tlsconf", "internal/credential"},
		forbid: []string{"internal/..."},
		allow:  []string{"internal/problem"},
		why:    "how one connection is secured and authenticated, shared by the sources and the mysql sink: it knows settings files, certificates and passwords, nothing of the stages",
	},
	{
		pkgs:   []string{"internal/sqlparam"},
		forbid: []string{"internal/..."},
		allow:  []string{"internal/change"},
		why:    "the SQL form of change values, shared by the lookups and the backfill: it knows values, nothing else",
	},
	{
		pkgs:   []string{"internal/gtid"},
		forbid: []string{"internal/..."},
		allow:  []string{"internal/change"},
		why:    "GTID sets and what a read saw, shared by the backfill's watermarks, the lookups and the mysql sink: it knows GTID syntax, nothing of the stages",
	},
	{
		pkgs:   []string{"internal/config"},
		forbid: []string{"internal/replicator", "internal/admin", "internal/mapping"},
		why:    "the settings compose the stages' settings types (sources, sinks, lookups, checkpoints); they must not pull in the service, the offline commands or the mappings",
	},
	{
		pkgs: []string{"internal/source/..."},
		forbid: []string{
			"internal/sink/...", "internal/checkpoint", "internal/config", "internal/mapping",
			"internal/lookup", "internal/replicator", "internal/admin",
		},
		why: "the binlog reader yields changes and knows nothing of where they go, how they are stored or configured",
	},
	{
		pkgs: []string{"internal/mapping"},
		forbid: []string{
			"database/sql", "github.com/go-mysql-org/...", "github.com/go-sql-driver/...", "github.com/aws/...",
			"internal/sink/...", "internal/source", "internal/checkpoint", "internal/config",
		},
		why: "mappings are pure functions from changes to target operations, testable without any database, stream or store",
	},
	{
		pkgs: []string{"internal/sink/...", "internal/dms", "internal/envelope"},
		forbid: []string{
			"internal/source", "internal/checkpoint", "internal/config", "internal/mapping",
			"internal/lookup", "internal/replicator", "internal/admin",
		},
		why: "a sink writes what it is given; reading, checkpointing, settings and mapping are the pipeline's",
	},
	{
		pkgs:   []string{"internal/checkpoint"},
		forbid: []string{"internal/sink/...", "internal/source", "internal/config", "internal/replicator", "internal/admin"},
		why:    "the Pebble store keeps positions and schema history for whoever runs it",
	},
	{
		pkgs: []string{"internal/backfill"},
		forbid: []string{
			"internal/sink/...", "internal/config", "internal/mapping", "internal/replicator", "internal/admin",
		},
		why: "the backfill reads sources and merges rows into a source's stream; where the rows go, which tables the mappings name and how it is configured are the service's",
	},
	{
		pkgs:   []string{"internal/heartbeat"},
		forbid: []string{"internal/sink/...", "internal/source", "internal/config", "internal/mapping", "internal/replicator", "internal/admin"},
		why:    "the heartbeat writes a row on a source and follows it through the stream; the service wires it in",
	},
	{
		pkgs: []string{"internal/verify"},
		forbid: []string{
			"internal/sink/...", "internal/checkpoint", "internal/config", "internal/replicator", "internal/admin",
		},
		why: "verify reads the sources and a target with plain queries while the service holds the store; it writes nothing and is configured by its caller",
	},
	{
		pkgs:   []string{"internal/lookup"},
		forbid: []string{"internal/sink/...", "internal/checkpoint", "internal/config", "internal/replicator", "internal/admin"},
		why:    "lookups query the sources and answer the pipeline; they neither write nor store",
	},
	{
		pkgs:   []string{"internal/replicator"},
		forbid: []string{"internal/admin"},
		why:    "the running service must not depend on the offline commands",
	},
	{
		pkgs:   []string{"internal/metrics", "internal/httpapi", "internal/migrate", "internal/livecheck"},
		forbid: []string{"internal/replicator", "internal/admin"},
		why:    "the service and the offline commands use these, not the other way round",
	},
	{
		pkgs:   []string{"internal/admin"},
		forbid: []string{"cmd/..."},
		why:    "the offline commands may use any package of the module, but not the command that calls them",
	},
	{
		pkgs: []string{"internal/bench"},
		why:  "the benchmarks are test code only",
	},
	{
		pkgs: []string{"internal/testenv"},
		why:  "the test servers; only _test files and deploy/ import it",
	},
	{
		pkgs:       []string{"cmd/...", "internal/..."},
		except:     []string{"internal/testenv"},
		forbid:     []string{"deploy/...", "testing", "github.com/stretchr/testify/...", "internal/testenv"},
		everywhere: true,
		why:        "product code must not hold test code or the local development tools",
	},
	{
		pkgs:       []string{"internal/..."},
		forbid:     []string{"cmd/..."},
		tests:      true,
		everywhere: true,
		why:        "the command is the top of the tree; nothing under internal/ reaches up into it, not even its tests",
	},
}

// listedPackage is the part of go list -json this check reads.
type listedPackage struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// TestImportRules checks every package of the module against importRules,
// and fails for any package under cmd/ or internal/ that no row places.
func TestImportRules(t *testing.T) {
	root, module := moduleRoot(t)
	out := goList(t, root, "-json=ImportPath,Imports,TestImports,XTestImports", "./...")
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list -json: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatal("go list ./... listed no packages")
	}

	var unplaced []string
	for _, p := range pkgs {
		placed := false
		for _, r := range importRules {
			if !r.applies(module, p.ImportPath) {
				continue
			}
			if !r.everywhere {
				placed = true
			}
			imports := p.Imports
			kind := "imports"
			if r.tests {
				imports = append(slices.Clone(p.TestImports), p.XTestImports...)
				kind = "tests import"
			}
			for _, imp := range imports {
				if r.forbids(module, imp) {
					t.Errorf("%s %s %s: %s", p.ImportPath, kind, imp, r.why)
				}
			}
		}
		if !placed && (within(module, "cmd/...", p.ImportPath) || within(module, "internal/...", p.ImportPath)) {
			unplaced = append(unplaced, p.ImportPath)
		}
	}
	if len(unplaced) > 0 {
		t.Errorf("packages no row of importRules in cmd/tributary/imports_test.go places; "+
			"add each to a row (with what it must not import) and to README.md's Layout:\n  %s",
			strings.Join(unplaced, "\n  "))
	}
}

func (r importRule) applies(module, pkg string) bool {
	return matchesAny(module, r.pkgs, pkg) && !matchesAny(module, r.except, pkg)
}

func (r importRule) forbids(module, imp string) bool {
	return matchesAny(module, r.forbid, imp) && !matchesAny(module, r.allow, imp)
}

func matchesAny(module string, patterns []string, path string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return within(module, p, path) })
}

// within reports whether path is the package pattern names or, for a
// pattern ending in "/...", that package or one below it.
func within(module, pattern, path string) bool {
	for _, top := range []string{"cmd/", "internal/", "deploy/"} {
		if strings.HasPrefix(pattern, top) {
			pattern = module + "/" + pattern
			break
		}
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == base || strings.HasPrefix(path, base+"/")
	}
	return path == pattern
}
