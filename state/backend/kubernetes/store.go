package kubernetes

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/statefile"
)

// keyState is the state head's data key for a state that fits in it
// (gzipped).
const keyState = "state"

// readTries is how many times a read starts again from the head when a
// chunk it lists went away meanwhile (another berth replaced the state).
const readTries = 3

// Kubernetes stores one workspace's state, journal and lock in a
// namespace. See the package doc and docs/state.md.
type Kubernetes struct {
	cfg       Config
	workspace string
	c         *clients

	// smu orders the state's writes; head is the state's head as this
	// backend last read or wrote it, without its bytes (nil: read it
	// first); swept says chunks were swept once.
	smu   sync.Mutex
	head  *v1.Secret
	swept bool

	// jmu orders the journal's writes; journal is its head as this
	// backend last read or wrote it (nil: read it first), so that an
	// append is one request.
	jmu     sync.Mutex
	journal *v1.Secret
}

// Location names the state: cluster, namespace and Secret.
func (k *Kubernetes) Location() string {
	return fmt.Sprintf("kubernetes %s, namespace %s, Secret %s", k.c.cluster, k.cfg.Namespace, k.stateName())
}

func (k *Kubernetes) stateName() string { return stateName(k.workspace, k.cfg.SecretSuffix) }

// getHead reads the head Secret name, nil when there is none. A Secret of
// that name that is not this workspace's (not berth's, or a workspace
// whose hashed name collides) is an error, never overwritten.
func (k *Kubernetes) getHead(ctx context.Context, name, role string) (*v1.Secret, error) {
	s, err := k.c.secrets.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if s.Labels[labelManagedBy] != managedBy || s.Labels[labelRole] != role || s.Annotations[annWorkspace] != k.workspace {
		return nil, fmt.Errorf("the Secret %s in namespace %s is not berth's %s of workspace %q (labels %v): berth will not use it", name, k.cfg.Namespace, role, k.workspace, s.Labels)
	}
	if s.Data == nil {
		s.Data = map[string][]byte{}
	}
	return s, nil
}

// Get reads the workspace's state.
func (k *Kubernetes) Get(ctx context.Context) ([]byte, bool, error) {
	for try := 1; ; try++ {
		head, err := k.getHead(ctx, k.stateName(), roleState)
		if err != nil {
			return nil, false, fmt.Errorf("reading the state from %s: %w", k.Location(), err)
		}
		k.smu.Lock()
		k.remember(head)
		k.smu.Unlock()
		if head == nil {
			return nil, false, nil
		}
		data, err := k.readState(ctx, head)
		if errors.Is(err, errChunkGone) && try < readTries {
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("reading the state from %s: %w", k.Location(), err)
		}
		return data, true, nil
	}
}

// readState returns the state a head holds, checked against its digest.
func (k *Kubernetes) readState(ctx context.Context, head *v1.Secret) ([]byte, error) {
	gz, inline := head.Data[keyState]
	if !inline {
		var err error
		if gz, err = k.readChunks(ctx, chunkNames(head)); err != nil {
			return nil, err
		}
	}
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("the stored state is not gzip data: %w", err)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("the stored state cannot be decompressed: %w", err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != head.Annotations[annSHA256] {
		return nil, fmt.Errorf("the stored state does not match its digest (%s lists %d chunks)", head.Name, len(chunkNames(head)))
	}
	return data, nil
}

// Put stores data, a state file. It is refused (a *backend.StaleWriteError) when
// the stored state is of another lineage or its serial is not below
// data's, even for a writer that bypassed the lock; identical bytes at
// the same serial are accepted without a write (the state manager's check
// that the backend can store a state rewrites it unchanged). The head is
// written with the resourceVersion it was read at, so a writer that
// raced this one is refused too. A state too big for one Secret goes in
// new chunks first; the old ones are deleted once the head lists the new.
//
// The head this backend last read or wrote stands for the stored one
// (an apply writes the state after every change, and reading the head
// again each time would double the cost): the resourceVersion guard makes
// that safe, and when the head changed meanwhile the write is checked
// again over what is stored now.
func (k *Kubernetes) Put(ctx context.Context, data []byte) error {
	h, err := statefile.DecodeHeader(data)
	if err != nil {
		return fmt.Errorf("writing the state to %s: not a state file: %w", k.Location(), err)
	}
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	gz, err := gzipBytes(data)
	if err != nil {
		return err
	}
	k.smu.Lock()
	defer k.smu.Unlock()
	for {
		old, cached := k.head, k.head != nil
		if !cached {
			if old, err = k.getHead(ctx, k.stateName(), roleState); err != nil {
				return fmt.Errorf("writing the state to %s: %w", k.Location(), err)
			}
		}
		err := k.putHead(ctx, old, h, digest, gz)
		var se *backend.StaleWriteError
		if cached && (apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) || errors.Is(err, errSameState) || errors.As(err, &se)) {
			// Changed since this backend saw it, or a verdict without a
			// write: only the stored head itself can confirm it.
			k.head = nil
			continue
		}
		if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
			return k.raced(ctx, h, err)
		}
		if err != nil && !errors.Is(err, errSameState) {
			if !errors.As(err, &se) {
				err = fmt.Errorf("writing the state to %s: %w", k.Location(), err)
			}
			return err
		}
		return nil
	}
}

// putHead writes the state (gz, of header h and digest) over old, the
// head as last seen (nil: none), and remembers the head written. Call
// with smu held.
func (k *Kubernetes) putHead(ctx context.Context, old *v1.Secret, h statefile.Header, digest string, gz []byte) error {
	if old != nil {
		if err := k.guard(old, h, digest); err != nil {
			return err
		}
	}
	head := &v1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:   k.stateName(),
			Labels: labels(k.workspace, k.cfg.SecretSuffix, roleState),
			Annotations: map[string]string{
				annWorkspace: k.workspace,
				annLineage:   h.Lineage,
				annSerial:    strconv.FormatUint(h.Serial, 10),
				annSHA256:    digest,
			},
		},
		Type: v1.SecretTypeOpaque,
		Data: map[string][]byte{},
	}
	base := ""
	if old != nil {
		base = old.ResourceVersion
		head.ResourceVersion = old.ResourceVersion
	}
	var chunks []string
	if len(gz) <= chunkSize {
		head.Data[keyState] = gz
	} else {
		var err error
		if chunks, err = k.writeChunks(ctx, k.stateName(), roleStateChunk, base, gz); err != nil {
			return err
		}
		setChunkNames(head, chunks)
	}
	written, err := k.writeHead(ctx, head, old != nil)
	if err != nil {
		k.head = nil
		k.deleteChunks(context.WithoutCancel(ctx), chunks)
		return err
	}
	k.remember(written)
	// The chunks the old head listed go; and once per backend, those a
	// write cut short (a killed berth) left behind.
	if !k.swept || (old != nil && len(chunkNames(old)) > 0) || len(chunks) > 0 {
		k.sweepChunks(ctx, roleStateChunk, written)
		k.swept = true
	}
	return nil
}

// remember keeps head, without its bytes, as the state head last seen.
// Call with smu held.
func (k *Kubernetes) remember(head *v1.Secret) {
	if head == nil {
		k.head = nil
		return
	}
	head = head.DeepCopy()
	delete(head.Data, keyState)
	k.head = head
}

// errSameState: the stored state is the one being written.
var errSameState = errors.New("the same state is stored")

// guard checks a write of a state with header h and digest over the head
// stored.
func (k *Kubernetes) guard(stored *v1.Secret, h statefile.Header, digest string) error {
	serial, err := strconv.ParseUint(stored.Annotations[annSerial], 10, 64)
	if err != nil {
		return fmt.Errorf("writing the state to %s: the stored head's serial %q cannot be read", k.Location(), stored.Annotations[annSerial])
	}
	se := &backend.StaleWriteError{Location: k.Location(), Lineage: h.Lineage, Serial: h.Serial,
		StoredLineage: stored.Annotations[annLineage], StoredSerial: serial}
	switch {
	case se.StoredLineage != h.Lineage:
		return se
	case serial == h.Serial && stored.Annotations[annSHA256] == digest:
		return errSameState
	case serial >= h.Serial:
		return se
	}
	return nil
}

// raced explains a head write the API server refused because the head
// changed since it was read: what is stored now. Call with smu held.
func (k *Kubernetes) raced(ctx context.Context, h statefile.Header, cause error) error {
	k.head = nil
	now, err := k.getHead(ctx, k.stateName(), roleState)
	if err == nil && now != nil {
		if err := k.guard(now, h, ""); err != nil {
			return err
		}
	}
	return fmt.Errorf("writing the state to %s: another berth wrote it meanwhile: %w", k.Location(), cause)
}

func gzipBytes(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
