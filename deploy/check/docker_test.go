package check

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	line int
	cmd  string // upper case
	args string
}

func parseDockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []instruction
	var cur *instruction
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if cur == nil && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur == nil {
			cmd, args, _ := strings.Cut(line, " ")
			cur = &instruction{line: n, cmd: strings.ToUpper(cmd)}
			line = args
		}
		more := strings.HasSuffix(line, `\`)
		cur.args = strings.TrimSpace(cur.args + " " + strings.TrimSuffix(line, `\`))
		if !more {
			out = append(out, *cur)
			cur = nil
		}
	}
	return out
}

func TestDockerfile(t *testing.T) {
	steps := parseDockerfile(t, filepath.Join(repoRoot, "deploy/docker/Dockerfile"))
	var froms []instruction
	for _, s := range steps {
		if s.cmd == "FROM" {
			froms = append(froms, s)
		}
	}
	if len(froms) != 2 {
		t.Fatalf("want two stages (build, final), got %d", len(froms))
	}
	// The build stage builds cmd/tributary statically with the module's Go.
	goMod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(goMod)
	var build, final []instruction
	for _, s := range steps {
		switch {
		case s.line > froms[1].line:
			final = append(final, s)
		case s.line > froms[0].line:
			build = append(build, s)
		}
	}
	argGo := slices.IndexFunc(steps, func(s instruction) bool { return s.cmd == "ARG" && strings.HasPrefix(s.args, "GO_VERSION=") })
	if argGo < 0 || goVersion == nil || steps[argGo].args != "GO_VERSION="+string(goVersion[1]) ||
		!strings.HasPrefix(froms[0].args, "golang:${GO_VERSION}") {
		t.Errorf("the build stage must be golang:${GO_VERSION} with ARG GO_VERSION the go.mod's go %s", goVersion[1])
	}
	goBuild := slices.IndexFunc(build, func(s instruction) bool { return s.cmd == "RUN" && strings.Contains(s.args, "go build") })
	if goBuild < 0 {
		t.Fatal("the build stage runs no go build")
	}
	run := build[goBuild].args
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", " ./cmd/tributary"} {
		if !strings.Contains(run, want) {
			t.Errorf("go build %q lacks %s", run, want)
		}
	}
	out := regexp.MustCompile(`-o (\S+)`).FindStringSubmatch(run)
	if out == nil {
		t.Fatalf("go build %q names no -o output", run)
	}
	if _, err := os.Stat(filepath.Join(repoRoot, "cmd/tributary/main.go")); err != nil {
		t.Errorf("./cmd/tributary is not the main package: %v", err)
	}

	// The final stage: distroless nonroot (or scratch), a non-root user,
	// the binary as the entrypoint, the store on a volume, the http port.
	base := froms[1].args
	if !strings.HasPrefix(base, "gcr.io/distroless/static") && base != "scratch" {
		t.Errorf("final stage %q, want distroless static or scratch", base)
	}
	get := func(cmd string) string {
		i := slices.IndexFunc(final, func(s instruction) bool { return s.cmd == cmd })
		if i < 0 {
			t.Errorf("the final stage has no %s", cmd)
			return ""
		}
		return final[i].args
	}
	if user := get("USER"); user == "" || user == "root" || strings.HasPrefix(user, "0") {
		t.Errorf("USER %q, want a non-root user", user)
	}
	copyBinary := slices.IndexFunc(final, func(s instruction) bool {
		return s.cmd == "COPY" && strings.Contains(s.args, "--from=build "+out[1]+" ")
	})
	if copyBinary < 0 {
		t.Fatalf("the final stage does not copy %s from the build stage", out[1])
	}
	binary := strings.Fields(final[copyBinary].args)[2]
	if get("ENTRYPOINT") != `["`+binary+`"]` {
		t.Errorf("ENTRYPOINT %s, want [%q]", get("ENTRYPOINT"), binary)
	}
	if get("CMD") != `["run", "--config", "/etc/tributary/tributary.yaml"]` {
		t.Errorf("CMD %s, want run --config /etc/tributary/tributary.yaml", get("CMD"))
	}
	if get("VOLUME") != `["/var/lib/tributary"]` {
		t.Errorf("VOLUME %s, want the store's /var/lib/tributary", get("VOLUME"))
	}
	if get("EXPOSE") != "9107" {
		t.Errorf("EXPOSE %s, want 9107", get("EXPOSE"))
	}
	if get("STOPSIGNAL") != "SIGTERM" {
		t.Errorf("STOPSIGNAL %s, want SIGTERM", get("STOPSIGNAL"))
	}
	if slices.ContainsFunc(steps, func(s instruction) bool { return s.cmd == "HEALTHCHECK" }) {
		t.Error("HEALTHCHECK cannot run in a distroless image: there is no shell or client to run it")
	}

	// Everything cmd/tributary needs is in what the build stage copies,
	// with the build context's exclusions (Dockerfile.dockerignore), and
	// builds without cgo.
	var sources []string
	for _, s := range build {
		if s.cmd == "COPY" && !strings.HasPrefix(s.args, "--from") {
			f := strings.Fields(s.args)
			sources = append(sources, f[:len(f)-1]...)
		}
	}
	ignore, err := os.ReadFile(filepath.Join(repoRoot, "deploy/docker/Dockerfile.dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range sources {
		if !strings.Contains(string(ignore), "\n!"+strings.TrimSuffix(src, "/")) {
			t.Errorf("COPY %s, but Dockerfile.dockerignore does not let it into the context", src)
		}
	}
	ctx := t.TempDir()
	for _, src := range sources {
		copyContext(t, filepath.Join(repoRoot, src), filepath.Join(ctx, src))
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.CommandContext(t.Context(), goBin, "list", "-deps", "-f", "{{if .Error}}{{.ImportPath}}: {{.Error}}{{end}}", "./cmd/tributary")
	cmd.Dir = ctx
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOFLAGS=-mod=readonly", "GOWORK=off")
	listed, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(listed)) > 0 {
		t.Errorf("go list -deps ./cmd/tributary in the build context (CGO_ENABLED=0): %v\n%s", err, listed)
	}
}

// copyContext copies what the build context holds of src: no test files,
// no testdata (Dockerfile.dockerignore).
func copyContext(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if info.IsDir() {
			if info.Name() == "testdata" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
