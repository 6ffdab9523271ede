package retry

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCeiling(t *testing.T) {
	b := Backoff{Min: 50 * time.Millisecond, Max: 2 * time.Second}
	tests := []struct {
		name    string
		b       Backoff
		attempt int
		want    time.Duration
	}{
		{"first attempt is Min", b, 1, 50 * time.Millisecond},
		{"attempts below 1 count as 1", b, 0, 50 * time.Millisecond},
		{"negative attempt", b, -5, 50 * time.Millisecond},
		{"doubles", b, 2, 100 * time.Millisecond},
		{"doubles again", b, 3, 200 * time.Millisecond},
		{"last below the cap", b, 6, 1600 * time.Millisecond},
		{"capped", b, 7, 2 * time.Second},
		{"stays capped", b, 1000, 2 * time.Second},
		{"huge attempt", b, math.MaxInt, 2 * time.Second},
		{"cap not a power of two of Min", Backoff{Min: 3, Max: 10}, 3, 10},
		{"Max below Min caps Min", Backoff{Min: time.Second, Max: time.Millisecond}, 1, time.Millisecond},
		{"Max below Min caps later attempts", Backoff{Min: time.Second, Max: time.Millisecond}, 5, time.Millisecond},
		{"no Max never waits", Backoff{Min: time.Second}, 5, 0},
		{"largest cap", Backoff{Min: 1, Max: math.MaxInt64}, math.MaxInt, math.MaxInt64},
		{"largest Min", Backoff{Min: math.MaxInt64, Max: math.MaxInt64}, 70, math.MaxInt64},
		{"just below the largest cap", Backoff{Min: 1, Max: math.MaxInt64}, 63, 1 << 62},
		{"zero Backoff", Backoff{}, 3, 0},
		{"negative Min", Backoff{Min: -time.Second, Max: time.Second}, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.b.Ceiling(tt.attempt))
		})
	}
}

func TestDelayWithinBounds(t *testing.T) {
	tests := []struct {
		name string
		b    Backoff
	}{
		{"mysql sink", Backoff{Min: 50 * time.Millisecond, Max: 2 * time.Second}},
		{"binlog reader", Backoff{Min: 100 * time.Millisecond, Max: 10 * time.Second}},
		{"lookup busy rows", Backoff{Min: time.Millisecond, Max: 64 * time.Millisecond}},
		{"one nanosecond", Backoff{Min: 1, Max: 1}},
		{"cap below Min", Backoff{Min: 50 * time.Millisecond, Max: 5 * time.Millisecond}},
		{"largest", Backoff{Min: 1, Max: math.MaxInt64}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for attempt := -1; attempt < 200; attempt++ {
				ceiling := tt.b.Ceiling(attempt)
				require.LessOrEqual(t, ceiling, tt.b.Max, "attempt %d", attempt)
				for range 50 {
					d := tt.b.Delay(attempt)
					require.Greater(t, d, time.Duration(0), "attempt %d", attempt)
					require.LessOrEqual(t, d, ceiling, "attempt %d", attempt)
				}
			}
			for _, attempt := range []int{1 << 20, math.MaxInt32, math.MaxInt - 1, math.MaxInt} {
				d := tt.b.Delay(attempt)
				require.Greater(t, d, time.Duration(0), "attempt %d", attempt)
				require.LessOrEqual(t, d, tt.b.Max, "attempt %d", attempt)
			}
		})
	}
	require.Zero(t, Backoff{}.Delay(1), "the zero Backoff never waits")
}

// Full jitter: delays spread over the whole interval rather than
// clustering at its top, so callers that failed together do not retry
// together.
func TestDelayVaries(t *testing.T) {
	b := Backoff{Min: 50 * time.Millisecond, Max: 2 * time.Second}
	for _, attempt := range []int{1, 3, 10} {
		ceiling := b.Ceiling(attempt)
		seen := map[time.Duration]bool{}
		low, high := false, false
		for range 1000 {
			d := b.Delay(attempt)
			seen[d] = true
			low = low || d < ceiling/4
			high = high || d > ceiling*3/4
		}
		require.Greater(t, len(seen), 900, "attempt %d: delays barely vary", attempt)
		require.True(t, low, "attempt %d: no delay in the lowest quarter", attempt)
		require.True(t, high, "attempt %d: no delay in the highest quarter", attempt)
	}
}

func TestWait(t *testing.T) {
	require.NoError(t, Wait(context.Background(), 0))
	require.NoError(t, Wait(context.Background(), time.Millisecond))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	require.ErrorIs(t, Wait(ctx, time.Hour), context.Canceled)
	require.ErrorIs(t, Wait(ctx, 0), context.Canceled)
	require.Less(t, time.Since(start), time.Second)

	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start = time.Now()
	require.ErrorIs(t, Wait(ctx, time.Hour), context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)
}

var (
	errTransient = errors.New("transient")
	errPermanent = errors.New("permanent")
)

func isTransient(err error) bool { return errors.Is(err, errTransient) }

func TestDo(t *testing.T) {
	fast := Backoff{Min: time.Microsecond, Max: time.Millisecond}
	tests := []struct {
		name      string
		errs      []error // op's results by attempt; nil after the last
		retryable func(error) bool
		want      error
		attempts  int
	}{
		{"success at once", nil, isTransient, nil, 1},
		{"success after transient errors", []error{errTransient, errTransient, errTransient}, isTransient, nil, 4},
		{"permanent error at once", []error{errPermanent}, isTransient, errPermanent, 1},
		{"permanent after transient", []error{errTransient, errTransient, errPermanent}, isTransient, errPermanent, 3},
		{"nil retryable retries everything", []error{errPermanent, errTransient}, nil, nil, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var attempts, retries []int
			err := Do(context.Background(), fast, func(attempt int) error {
				attempts = append(attempts, attempt)
				if attempt <= len(tt.errs) {
					return tt.errs[attempt-1]
				}
				return nil
			}, tt.retryable, func(attempt int, wait time.Duration, err error) {
				require.Error(t, err)
				require.Greater(t, wait, time.Duration(0))
				require.LessOrEqual(t, wait, fast.Ceiling(attempt))
				retries = append(retries, attempt)
			})
			require.ErrorIs(t, err, tt.want)
			if tt.want == nil {
				require.NoError(t, err)
			}
			require.Len(t, attempts, tt.attempts)
			for i, a := range attempts {
				require.Equal(t, i+1, a, "attempts are numbered from 1")
			}
			require.Equal(t, attempts[:len(attempts)-1], append([]int{}, retries...), "one onRetry per failed, retried attempt")
		})
	}
}

func TestDoNilOnRetry(t *testing.T) {
	n := 0
	err := Do(context.Background(), Backoff{Min: time.Microsecond}, func(int) error {
		if n++; n < 3 {
			return errTransient
		}
		return nil
	}, isTransient, nil)
	require.NoError(t, err)
	require.Equal(t, 3, n)
}

// A cancelled context ends a pause at once, even a long one.
func TestDoStopsWhenCancelledWhileWaiting(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	waiting := make(chan struct{})
	done := make(chan error, 1)
	calls := 0
	go func() {
		done <- Do(ctx, Backoff{Min: time.Hour, Max: time.Hour}, func(int) error {
			calls++
			return errTransient
		}, isTransient, func(int, time.Duration, error) { close(waiting) })
	}()
	<-waiting
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
		require.Less(t, time.Since(start), time.Second)
	case <-time.After(5 * time.Second):
		t.Fatal("Do kept waiting after its context was cancelled")
	}
	require.Equal(t, 1, calls)
}

// An op that fails because its context ended is not retried, whatever
// retryable says.
func TestDoStopsWhenCancelledDuringAttempt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls, retried := 0, false
	err := Do(ctx, Backoff{Min: time.Hour}, func(int) error {
		calls++
		cancel()
		return errTransient
	}, nil, func(int, time.Duration, error) { retried = true })
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, 1, calls)
	require.False(t, retried)
}

// Do calls op once even on a context that has already ended, so a caller's
// last attempt still reports its own error.
func TestDoCallsOpOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	err := Do(ctx, Backoff{Min: time.Hour}, func(int) error { calls++; return errPermanent }, isTransient, nil)
	require.ErrorIs(t, err, errPermanent)
	require.Equal(t, 1, calls)
}
