package main

import (
	"regexp"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestVersion(t *testing.T) {
	const rev = "0123456789abcdef0123456789abcdef01234567"
	vcs := func(settings ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(settings); i += 2 {
			s = append(s, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return s
	}
	for _, tt := range []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want string
	}{
		{"no build info", nil, false, "(devel)"},
		{"devel without vcs", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true, "(devel)"},
		{"empty version", &debug.BuildInfo{}, true, "(devel)"},
		{"release", &debug.BuildInfo{
			Main:     debug.Module{Version: "v1.2.3"},
			Settings: vcs("-compiler", "gc", "vcs", "git", "vcs.revision", rev, "vcs.time", "2026-08-30T10:00:00Z", "vcs.modified", "false"),
		}, true, "v1.2.3 (revision " + rev + ", committed 2026-08-30T10:00:00Z)"},
		{"modified tree", &debug.BuildInfo{
			Main:     debug.Module{Version: "v0.0.0-20260830100000-0123456789ab+dirty"},
			Settings: vcs("vcs.revision", rev, "vcs.time", "2026-08-30T10:00:00Z", "vcs.modified", "true"),
		}, true, "v0.0.0-20260830100000-0123456789ab+dirty (revision " + rev + ", modified, committed 2026-08-30T10:00:00Z)"},
		{"no time", &debug.BuildInfo{
			Main:     debug.Module{Version: "(devel)"},
			Settings: vcs("vcs.revision", rev),
		}, true, "(devel) (revision " + rev + ")"},
		{"time without revision", &debug.BuildInfo{
			Main:     debug.Module{Version: "v1.2.3"},
			Settings: vcs("vcs.time", "2026-08-30T10:00:00Z", "vcs.modified", "true"),
		}, true, "v1.2.3"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, version(tt.info, tt.ok))
		})
	}
}

func TestVersionFlag(t *testing.T) {
	out, err := execute(t, "--version")
	require.NoError(t, err)
	require.Regexp(t, regexp.MustCompile(
		`\Atributary (\(devel\)|v\S+)( \(revision [0-9a-f]+(, modified)?(, committed \S+)?\))?\n\z`), out)
	require.Equal(t, "tributary "+version(debug.ReadBuildInfo())+"\n", out)
}
