package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/stretchr/testify/require"
)

// ErrKinesisNotInstalled is returned when the emulator's npm package or
// node is missing.
var ErrKinesisNotInstalled = errors.New("kinesis emulator not installed (run make deps-kinesis)")

// Files of the emulator inside KinesisOptions.Dir.
const (
	// KinesisLog receives the emulator's output.
	KinesisLog = "kinesis.log"
	// KinesisPIDFile holds the pid of the emulator last started there.
	KinesisPIDFile = "kinesis.pid"
	// kinesisPreload keeps the emulator on loopback (see loopbackPreload).
	kinesisPreload = "loopback.cjs"
)

// KinesisStopGrace is how long the emulator gets to exit after SIGTERM
// before SIGKILL. Its HTTP server waits up to 30 s for clients to close
// their keep-alive connections; it keeps nothing on disk, so nothing is lost
// by not waiting.
const KinesisStopGrace = 2 * time.Second

// kinesisPackage is where make deps-kinesis installs kinesis-local
// (kinesis-mock), relative to the module root.
const kinesisPackage = "deploy/local/kinesis/node_modules/kinesis-local"

// loopbackPreload is loaded into node before the emulator. kinesis-mock
// always listens on 0.0.0.0 (it calls listen(port, callback)); this makes
// such calls listen on 127.0.0.1, as the MariaDB servers do.
const loopbackPreload = `// Written by internal/testenv: keeps kinesis-local on loopback.
const net = require("node:net");
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" && typeof args[1] !== "string") args.splice(1, 0, "127.0.0.1");
  return listen.apply(this, args);
};
`

// KinesisOptions describe one emulator to start. Zero fields take defaults.
type KinesisOptions struct {
	// Dir holds the emulator's log, pid file and preload script; required.
	Dir string
	// Port of the plain HTTP listener at 127.0.0.1; 0 picks a free one. The
	// TLS listener always takes a free port and is not used.
	Port int
	// StreamDelay is how long a stream stays CREATING, DELETING or UPDATING;
	// 0 means 100ms.
	StreamDelay time.Duration
	// ShardLimit caps the shards of all streams together; 0 means 50.
	ShardLimit int
	// LogLevel of the emulator: ERROR, WARN, INFO, DEBUG or TRACE; "" means
	// WARN.
	LogLevel string

	// diesWithParent has the kernel kill the emulator when the process
	// that started it dies, so that a test binary killed by its -timeout
	// leaves none behind. The local stack's command exits after up, so
	// only tests set it.
	diesWithParent bool
}

// Kinesis is a running kinesis-local emulator started by this package.
type Kinesis struct {
	Dir      string // holds kinesis.log, kinesis.pid and the preload script
	Port     int    // plain HTTP port at 127.0.0.1
	PID      int    // the node process
	Endpoint string // http://127.0.0.1:Port, the SDK's BaseEndpoint

	http *http.Client // shared by Client's clients; idle connections closed by Stop
	cmd  *exec.Cmd
	done chan struct{}
}

// StartKinesis starts the emulator and waits until it answers ListStreams.
func StartKinesis(ctx context.Context, opts KinesisOptions) (*Kinesis, error) {
	if opts.Dir == "" {
		return nil, errors.New("starting kinesis emulator: KinesisOptions.Dir is required")
	}
	mainJS, err := kinesisMain()
	if err != nil {
		return nil, err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("starting kinesis emulator: %w: %w", ErrKinesisNotInstalled, err)
	}
	if opts.Dir, err = filepath.Abs(opts.Dir); err != nil {
		return nil, fmt.Errorf("starting kinesis emulator: %w", err)
	}
	preload := filepath.Join(opts.Dir, kinesisPreload)
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("starting kinesis emulator: %w", err)
	}
	if err := os.WriteFile(preload, []byte(loopbackPreload), 0o644); err != nil {
		return nil, fmt.Errorf("starting kinesis emulator: %w", err)
	}
	for attempt := 0; ; attempt++ {
		port := opts.Port
		if port == 0 {
			if port, err = freePort(); err != nil {
				return nil, err
			}
		}
		k := newKinesis(opts.Dir, port, 0)
		err = k.start(ctx, exec.Command(node, "--require", preload, mainJS), kinesisEnv(mainJS, port, opts), opts.diesWithParent)
		if err == nil {
			return k, nil
		}
		// Another process may have taken the free port meanwhile.
		if opts.Port != 0 || attempt == 4 || ctx.Err() != nil {
			return nil, err
		}
	}
}

// StartKinesisT starts an emulator for one test in a temporary directory
// and stops it when the test ends. A missing emulator fails the test.
func StartKinesisT(t testing.TB) *Kinesis {
	t.Helper()
	k, err := StartKinesis(context.Background(), KinesisOptions{Dir: t.TempDir(), diesWithParent: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = k.Stop() })
	return k
}

func newKinesis(dir string, port, pid int) *Kinesis {
	return &Kinesis{
		Dir: dir, Port: port, PID: pid,
		Endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		http:     &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}},
	}
}

// kinesisEnv is the emulator's whole environment, so that a developer's
// AWS_REGION or LOG_LEVEL does not change it.
func kinesisEnv(mainJS string, port int, opts KinesisOptions) []string {
	delay, limit, level := opts.StreamDelay, opts.ShardLimit, opts.LogLevel
	if delay <= 0 {
		delay = 100 * time.Millisecond
	}
	if limit <= 0 {
		limit = 50
	}
	if level == "" {
		level = "WARN"
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"KINESIS_MOCK_CERT_PATH=" + filepath.Join(filepath.Dir(mainJS), "server.json"),
		"KINESIS_MOCK_PLAIN_PORT=" + strconv.Itoa(port),
		"KINESIS_MOCK_TLS_PORT=0",
		"SHARD_LIMIT=" + strconv.Itoa(limit),
		"LOG_LEVEL=" + level, "ROOT_LOG_LEVEL=ERROR",
		"AWS_REGION=us-east-1", "SHOULD_PERSIST_DATA=false",
	}
	for _, op := range []string{"CREATE_STREAM", "DELETE_STREAM", "REGISTER_STREAM_CONSUMER",
		"DEREGISTER_STREAM_CONSUMER", "START_STREAM_ENCRYPTION", "STOP_STREAM_ENCRYPTION",
		"MERGE_SHARDS", "SPLIT_SHARD", "UPDATE_SHARD_COUNT", "UPDATE_STREAM_MODE"} {
		env = append(env, fmt.Sprintf("%s_DURATION=%dms", op, delay.Milliseconds()))
	}
	return env
}

// start launches node once and waits for the emulator on k.Port.
func (k *Kinesis) start(ctx context.Context, cmd *exec.Cmd, env []string, diesWithParent bool) error {
	logPath := filepath.Join(k.Dir, KinesisLog)
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("starting kinesis emulator: %w", err)
	}
	defer logFile.Close() // the child holds its own copy
	cmd.Env, cmd.Dir, cmd.Stdout, cmd.Stderr = env, k.Dir, logFile, logFile
	// Its own process group, as for mariadbd: a Ctrl-C meant for the test
	// or the stack command does not reach it. node starts no children.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if diesWithParent {
		// Strictly the forking thread's death; Go ends a thread only when
		// a goroutine exits while locked to it, which tests do not do.
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting kinesis emulator: %w", err)
	}
	k.cmd, k.PID, k.done = cmd, cmd.Process.Pid, make(chan struct{})
	go func() { _ = cmd.Wait(); close(k.done) }()
	if err := os.WriteFile(filepath.Join(k.Dir, KinesisPIDFile), []byte(strconv.Itoa(k.PID)+"\n"), 0o644); err != nil {
		return errors.Join(fmt.Errorf("writing kinesis pid file: %w", err), k.Stop())
	}
	if err := k.waitReady(ctx); err != nil {
		return errors.Join(fmt.Errorf("waiting for the kinesis emulator on port %d (see %s): %w", k.Port, logPath, err), k.Stop())
	}
	return nil
}

func (k *Kinesis) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(startTimeout)
	for {
		err := k.Ping(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-k.done:
			return errors.New("the emulator exited during start")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return err
		}
	}
}

// Ping makes one ListStreams call, without retries.
func (k *Kinesis) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	// A connection of its own, closed after the call, so that pinging
	// leaves no idle connection (nor its goroutines) behind.
	c := k.client(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}, aws.NopRetryer{})
	_, err := c.ListStreams(ctx, &kinesis.ListStreamsInput{})
	return err
}

// Client returns an SDK client for the emulator: region us-east-1, static
// credentials test/test, the SDK's default retries.
func (k *Kinesis) Client() *kinesis.Client {
	return k.client(k.http, nil)
}

func (k *Kinesis) client(hc *http.Client, retryer aws.Retryer) *kinesis.Client {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:  hc,
	}
	if retryer != nil {
		cfg.Retryer = func() aws.Retryer { return retryer }
	}
	return kinesis.NewFromConfig(cfg, func(o *kinesis.Options) { o.BaseEndpoint = aws.String(k.Endpoint) })
}

// CreateStream creates a provisioned stream and waits until it is ACTIVE.
func (k *Kinesis) CreateStream(ctx context.Context, name string, shards int32) error {
	c := k.client(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}, nil)
	if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: &name, ShardCount: &shards}); err != nil {
		return fmt.Errorf("creating stream %s: %w", name, err)
	}
	w := kinesis.NewStreamExistsWaiter(c, func(o *kinesis.StreamExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 500*time.Millisecond
	})
	if err := w.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: &name}, 30*time.Second); err != nil {
		return fmt.Errorf("waiting for stream %s: %w", name, err)
	}
	return nil
}

// Stop closes the connections of Client's clients, sends SIGTERM and waits
// for the emulator to exit, sending SIGKILL after KinesisStopGrace. On a
// Kinesis from FindKinesis it only closes connections.
func (k *Kinesis) Stop() error {
	k.http.CloseIdleConnections()
	if k.cmd == nil {
		return nil
	}
	_ = k.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-k.done:
	case <-time.After(KinesisStopGrace):
		_ = k.cmd.Process.Kill()
		<-k.done
	}
	k.cmd = nil
	return nil
}

// FindKinesis returns the emulator with pid if this package started it in
// dir and it is still running, read from /proc so that a reused pid is
// never mistaken for it. Its Stop does not stop the process.
func FindKinesis(pid int, dir string) (*Kinesis, bool) {
	if pid <= 0 {
		return nil, false
	}
	cmdline, err1 := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	environ, err2 := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err1 != nil || err2 != nil {
		return nil, false
	}
	args := strings.Split(string(bytes.TrimRight(cmdline, "\x00")), "\x00")
	if len(args) != 4 || filepath.Base(args[0]) != "node" || args[2] != filepath.Join(dir, kinesisPreload) ||
		!strings.HasSuffix(args[3], filepath.Join(kinesisPackage, "main.js")) {
		return nil, false
	}
	for _, kv := range strings.Split(string(environ), "\x00") {
		if v, ok := strings.CutPrefix(kv, "KINESIS_MOCK_PLAIN_PORT="); ok {
			if port, _ := strconv.Atoi(v); port > 0 {
				return newKinesis(dir, port, pid), true
			}
		}
	}
	return nil, false
}

// kinesisMain returns the path of the emulator's main.js.
func kinesisMain() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	mainJS := filepath.Join(root, kinesisPackage, "main.js")
	if _, err := os.Stat(mainJS); err != nil {
		return "", fmt.Errorf("starting kinesis emulator: %w: %w", ErrKinesisNotInstalled, err)
	}
	return mainJS, nil
}

// moduleRoot returns the folder of this module's go.mod, found upward from
// this source file, or from the working directory when the binary was
// built with -trimpath.
func moduleRoot() (string, error) {
	var starts []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, d := range starts {
		for ; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				return d, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", errors.New("finding the module root: no go.mod above the source file or the working directory (run inside the repository)")
}
