package plugin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math"
	"os"
)

// executable is the provider's executable, opened once: its checksum is
// computed from this open file and the process is started from it (see
// command), so that a binary put at its path between the check and the
// start never runs.
type executable struct {
	file *os.File
	// owned: opened by openExecutable (not the caller's Spec.File), so
	// closed by close.
	owned bool
}

// openExecutable opens the executable spec says to run and checks
// spec.SHA256 on its bytes.
func openExecutable(ctx context.Context, spec Spec) (*executable, error) {
	exe := &executable{file: spec.File}
	if exe.file == nil {
		path := spec.Path
		if spec.self {
			path = selfExecutable(path)
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("starting provider %s: %w", spec.Name, err)
		}
		exe.file, exe.owned = f, true
	}
	if len(spec.SHA256) == 0 {
		return exe, nil
	}
	sum, err := hashFile(ctx, exe.file)
	if err != nil {
		exe.close()
		return nil, fmt.Errorf("starting provider %s: reading %s: %w", spec.Name, spec.Path, err)
	}
	if !bytes.Equal(sum, spec.SHA256) {
		exe.close()
		return nil, &ChecksumError{Provider: spec.Name, Path: spec.Path, Want: spec.SHA256, Got: sum}
	}
	return exe, nil
}

func (e *executable) close() {
	if e.owned {
		e.file.Close()
	}
}

// hashFile returns the sha256 of the open file f, read from its start
// whatever its offset, and stops early when ctx is cancelled.
func hashFile(ctx context.Context, f *os.File) ([]byte, error) {
	h := sha256.New()
	r := io.NewSectionReader(f, 0, math.MaxInt64)
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := r.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			return h.Sum(nil), nil
		}
		if err != nil {
			return nil, err
		}
	}
}
