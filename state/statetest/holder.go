package statetest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// The backends' tests of a lock holder killed with SIGKILL run the holder
// in a child process: the test binary again, running only the test, with
// an environment variable that tells it to take the lock and wait.

// lockedLine is what the child prints once it holds the lock.
const lockedLine = "locked"

// StartLockHolder runs the test binary again, running only the test
// named test with env set to value, and returns once the child says it
// holds the lock (HoldLock). The child is killed when the test ends.
func StartLockHolder(t *testing.T, test, env, value string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env+"="+value)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	locked := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == lockedLine {
				locked <- nil
				return
			}
		}
		locked <- fmt.Errorf("the holder exited without taking the lock: %v", sc.Err())
	}()
	select {
	case err := <-locked:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the holder did not take the lock in 60 s")
	}
	return cmd
}

// HoldLock is the child's end of StartLockHolder: called once the child
// holds the lock, it says so and waits to be killed.
func HoldLock() {
	fmt.Println(lockedLine)
	select {}
}
