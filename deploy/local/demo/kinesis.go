package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/tributary-cdc/tributary/internal/testenv"
)

// The demo stream: two shards, so that consumers iterate over shards.
const (
	DemoStream       = "demo-cooksnaps"
	demoStreamShards = 2
)

// kinesisDir is the emulator's folder under the stack directory.
const kinesisDir = "kinesis"

// setKinesis records the emulator's keys, and the credentials the AWS SDK
// needs to talk to it (the emulator takes any), so that the demo's
// configuration runs by hand after eval "$(stack env)".
func (e Env) setKinesis(endpoint string, pid int) {
	e[KeyKinesisEndpoint] = endpoint
	e[KeyKinesisStream] = DemoStream
	e["AWS_ACCESS_KEY_ID"], e["AWS_SECRET_ACCESS_KEY"], e["AWS_REGION"] = "demo", "demo", "us-east-1"
	e[KeyKinesisPID] = ""
	if pid > 0 {
		e[KeyKinesisPID] = strconv.Itoa(pid)
	}
}

// stackKinesis returns the stack's emulator under dir if it is running, by
// the pid in the env file or else in its pid file.
func stackKinesis(dir string, env Env) (*testenv.Kinesis, bool) {
	kdir := filepath.Join(dir, kinesisDir)
	envPID, _ := strconv.Atoi(env[KeyKinesisPID])
	for _, pid := range []int{envPID, readPID(filepath.Join(kdir, testenv.KinesisPIDFile))} {
		if k, ok := testenv.FindKinesis(pid, kdir); ok {
			return k, true
		}
	}
	return nil, false
}

// ensureKinesis keeps the stack's emulator running, or starts it, on its
// previous port when that is free.
func ensureKinesis(ctx context.Context, dir string, old Env, logger *slog.Logger) (*testenv.Kinesis, error) {
	if k, ok := stackKinesis(dir, old); ok {
		if err := pingKinesis(ctx, k, 10*time.Second); err != nil {
			return nil, fmt.Errorf("checking the kinesis emulator (pid %d, port %d) that is running but not answering; stop it with make down: %w", k.PID, k.Port, err)
		}
		logger.Info("kinesis emulator already running", "port", k.Port, "pid", k.PID)
		return k, nil
	}
	opts := testenv.KinesisOptions{Dir: filepath.Join(dir, kinesisDir)}
	if u, err := url.Parse(old[KeyKinesisEndpoint]); err == nil {
		if p, _ := strconv.Atoi(u.Port()); p > 0 && portFree(p) {
			opts.Port = p
		}
	}
	k, err := testenv.StartKinesis(ctx, opts)
	if err != nil && opts.Port != 0 && !errors.Is(err, testenv.ErrKinesisNotInstalled) {
		logger.Warn("previous kinesis port unusable, picking another", "port", opts.Port, "err", err)
		opts.Port = 0
		k, err = testenv.StartKinesis(ctx, opts)
	}
	if err != nil {
		return nil, err
	}
	logger.Info("kinesis emulator started", "port", k.Port, "pid", k.PID)
	return k, nil
}

// pingKinesis waits up to timeout for the emulator to answer.
func pingKinesis(ctx context.Context, k *testenv.Kinesis, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		err := k.Ping(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// ensureDemoStream creates the demo stream unless the emulator, kept
// running since an earlier up, has it already.
func ensureDemoStream(ctx context.Context, k *testenv.Kinesis) error {
	err := k.CreateStream(ctx, DemoStream, demoStreamShards)
	var exists *types.ResourceInUseException
	if errors.As(err, &exists) {
		return nil
	}
	return err
}

// runningKinesis returns the running emulator of the stack under dir and
// the stack's env.
func runningKinesis(dir string) (*testenv.Kinesis, Env, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, err
	}
	env, err := ReadEnv(filepath.Join(dir, EnvFile))
	if err != nil {
		return nil, nil, err
	}
	k, ok := stackKinesis(dir, env)
	if !ok {
		return nil, nil, errors.New("the stack's kinesis emulator is not running (run make up)")
	}
	return k, env, nil
}

// ReadDemoStream reads every record of the demo stream of the stack under
// dir, shard by shard.
func ReadDemoStream(ctx context.Context, dir string) ([]testenv.StreamRecord, error) {
	k, env, err := runningKinesis(dir)
	if err != nil {
		return nil, err
	}
	defer k.Stop()
	return k.ReadStream(ctx, env[KeyKinesisStream])
}

// ResetDemoStream deletes the demo stream of the stack under dir and
// creates it again, empty, so a demo run reads back its own records only.
func ResetDemoStream(ctx context.Context, dir string) error {
	k, env, err := runningKinesis(dir)
	if err != nil {
		return err
	}
	defer k.Stop()
	c := k.Client()
	name := env[KeyKinesisStream]
	_, err = c.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: &name})
	var missing *types.ResourceNotFoundException
	if err != nil && !errors.As(err, &missing) {
		return fmt.Errorf("deleting stream %s: %w", name, err)
	}
	if err == nil {
		w := kinesis.NewStreamNotExistsWaiter(c, func(o *kinesis.StreamNotExistsWaiterOptions) {
			o.MinDelay, o.MaxDelay = 50*time.Millisecond, 500*time.Millisecond
		})
		if err := w.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: &name}, 30*time.Second); err != nil {
			return fmt.Errorf("waiting for stream %s to go: %w", name, err)
		}
	}
	return k.CreateStream(ctx, name, demoStreamShards)
}
