package main

import (
	"runtime/debug"
	"strings"
)

// version describes the build for --version: the module version, then the
// commit it was built from, whether the tree held uncommitted changes and
// the commit's time, as far as the go command recorded them. A build
// outside a module or without version control reads "(devel)".
func version(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil {
		return "(devel)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var revision, when string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if revision == "" {
		return v
	}
	details := []string{"revision " + revision}
	if modified {
		details = append(details, "modified")
	}
	if when != "" {
		details = append(details, "committed "+when)
	}
	return v + " (" + strings.Join(details, ", ") + ")"
}
