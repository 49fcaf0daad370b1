package kubernetes

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A head Secret holds its bytes itself when they fit, or lists, under
// keyChunks, the chunk Secrets that hold them in order. Chunks are
// written once, under names no earlier write used, before the head that
// lists them: so switching the head is the one write that replaces
// what the head holds, and a write cut short leaves the previous head
// with all its chunks.

// chunkSize is the most bytes one Secret holds: the API server refuses a
// Secret whose data passes 1 MiB, and keys and metadata need some room.
const chunkSize = 900 << 10

// keyChunks is the head's data key listing its chunks, one name a line.
const keyChunks = "chunks"

// keyChunk is a chunk's data key.
const keyChunk = "data"

// errChunkGone: a chunk a head lists is not there, because another berth
// replaced the head and deleted the old chunks after this one read the
// head. Reading again from the head is the answer.
var errChunkGone = errors.New("a chunk of the head is gone")

// chunkNames reads the chunk list of head.
func chunkNames(head *v1.Secret) []string {
	s := strings.TrimSpace(string(head.Data[keyChunks]))
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// setChunkNames records names in head's data.
func setChunkNames(head *v1.Secret, names []string) {
	if len(names) == 0 {
		delete(head.Data, keyChunks)
		return
	}
	head.Data[keyChunks] = []byte(strings.Join(names, "\n"))
}

// readChunks returns the chunks' bytes concatenated in order.
func (k *Kubernetes) readChunks(ctx context.Context, names []string) ([]byte, error) {
	var out []byte
	for _, n := range names {
		s, err := k.c.secrets.Get(ctx, n, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("%w: %s", errChunkGone, n)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, s.Data[keyChunk]...)
	}
	return out, nil
}

// writeChunks stores data in new chunk Secrets of head, labelled with
// role, and returns their names in order. base is the resourceVersion of
// the head the writer read ("" for none). On failure it deletes the
// chunks it created.
func (k *Kubernetes) writeChunks(ctx context.Context, head, role, base string, data []byte) ([]string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	gen := hex.EncodeToString(b[:])
	var names []string
	for i := 0; len(data) > 0; i++ {
		n := min(len(data), chunkSize)
		s := &v1.Secret{
			ObjectMeta: metav1.ObjectMeta{
				Name:        fmt.Sprintf("%s.%s.%d", head, gen, i),
				Labels:      labels(k.workspace, k.cfg.SecretSuffix, role),
				Annotations: map[string]string{annWorkspace: k.workspace, annBase: base},
			},
			Type: v1.SecretTypeOpaque,
			Data: map[string][]byte{keyChunk: data[:n]},
		}
		if _, err := k.c.secrets.Create(ctx, s, metav1.CreateOptions{}); err != nil {
			k.deleteChunks(context.WithoutCancel(ctx), names)
			return nil, fmt.Errorf("writing chunk %s: %w", s.Name, err)
		}
		names = append(names, s.Name)
		data = data[n:]
	}
	return names, nil
}

// deleteChunks deletes the named chunks, as far as it can: a chunk left
// behind is swept by a later write (sweepChunks).
func (k *Kubernetes) deleteChunks(ctx context.Context, names []string) {
	for _, n := range names {
		_ = k.c.secrets.Delete(ctx, n, metav1.DeleteOptions{})
	}
}

// sweepChunks deletes the workspace's chunks with role that head does not
// list and that were not written over head's current version: those of
// the heads it replaced, and those of writes that did not finish. A chunk
// whose writer read this very head may belong to a write still in flight
// (a berth run with -lock=false) and is kept. Errors are ignored: the
// write it follows succeeded, and the next one sweeps again.
func (k *Kubernetes) sweepChunks(ctx context.Context, role string, head *v1.Secret) {
	list, err := k.c.secretMeta.List(ctx, metav1.ListOptions{
		LabelSelector: selector(labels(k.workspace, k.cfg.SecretSuffix, role)),
	})
	if err != nil {
		return
	}
	keep := map[string]bool{}
	version := ""
	if head != nil {
		version = head.ResourceVersion
		for _, n := range chunkNames(head) {
			keep[n] = true
		}
	}
	var gone []string
	for _, o := range list.Items {
		if keep[o.Name] || (version != "" && o.Annotations[annBase] == version) {
			continue
		}
		gone = append(gone, o.Name)
	}
	k.deleteChunks(ctx, gone)
}
