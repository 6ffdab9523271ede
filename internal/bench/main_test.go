package bench

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/tributary-cdc/tributary/internal/testenv"
)

// TestMain doubles as the baseline child process of the memory benchmark:
// with TRIBUTARY_BENCH_CHILD=raw it streams with bare go-mysql and prints
// its peak RSS, so both processes are measured the same way.
func TestMain(m *testing.M) {
	if os.Getenv("TRIBUTARY_BENCH_CHILD") == "raw" {
		os.Exit(rawChild())
	}
	os.Exit(m.Run())
}

func rawChild() int {
	port, _ := strconv.Atoi(os.Getenv("TRIBUTARY_BENCH_PORT"))
	s := &testenv.Server{Port: port}
	n, err := rawRows(context.Background(), s, 9200, os.Getenv("TRIBUTARY_BENCH_FROM"), os.Getenv("TRIBUTARY_BENCH_END"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "raw stream:", err)
		return 1
	}
	hwm, err := procStatus(os.Getpid(), "VmHWM")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("%d %d\n", n, hwm)
	return 0
}
