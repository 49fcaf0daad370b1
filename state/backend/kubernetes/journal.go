package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"slices"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The intent journal is a head Secret of its own (berth-journal-<w>-S)
// whose keyTail holds the last records appended, after the chunks it
// lists. An append rewrites the head alone while the tail is small; past
// journalTailSize the tail and the new records go into a new chunk, which
// the head then lists. Either way the head's write is the append: durable
// once the API server answers, and all or nothing.

// keyTail is the journal head's data key for the records not in a chunk.
const keyTail = "tail"

// journalTailSize bounds the tail, which every append sends again.
const journalTailSize = 128 << 10

func (k *Kubernetes) journalName() string { return journalName(k.workspace, k.cfg.SecretSuffix) }

// JournalLocation names the journal's head Secret.
func (k *Kubernetes) JournalLocation() string {
	return fmt.Sprintf("kubernetes %s, namespace %s, Secret %s", k.c.cluster, k.cfg.Namespace, k.journalName())
}

// newJournalHead is an empty journal head, to create.
func (k *Kubernetes) newJournalHead() *v1.Secret {
	return &v1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:        k.journalName(),
			Labels:      labels(k.workspace, k.cfg.SecretSuffix, roleJournal),
			Annotations: map[string]string{annWorkspace: k.workspace},
		},
		Type: v1.SecretTypeOpaque,
		Data: map[string][]byte{},
	}
}

// AppendJournal appends data to the journal: one write of its head,
// guarded by the resourceVersion this backend last saw. When another
// writer changed the head meanwhile, the append is tried once more over
// what it wrote.
func (k *Kubernetes) AppendJournal(ctx context.Context, data []byte) error {
	k.jmu.Lock()
	defer k.jmu.Unlock()
	var err error
	for try := 1; try <= 2; try++ {
		if err = k.appendJournal(ctx, data); err == nil || !(apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err)) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("writing the intent journal %s: %w", k.JournalLocation(), err)
	}
	return nil
}

// appendJournal is one try of AppendJournal. Call with jmu held.
func (k *Kubernetes) appendJournal(ctx context.Context, data []byte) error {
	old := k.journal
	if old == nil {
		var err error
		if old, err = k.getHead(ctx, k.journalName(), roleJournal); err != nil {
			return err
		}
	}
	head := k.newJournalHead()
	base := ""
	if old != nil {
		head = old.DeepCopy()
		base = old.ResourceVersion
	}
	tail := slices.Concat(head.Data[keyTail], data)
	var chunks []string
	if len(tail) > journalTailSize {
		var err error
		if chunks, err = k.writeChunks(ctx, k.journalName(), roleJournalChunk, base, tail); err != nil {
			return err
		}
		setChunkNames(head, slices.Concat(chunkNames(head), chunks))
		tail = nil
	}
	head.Data[keyTail] = tail
	written, err := k.writeHead(ctx, head, old != nil)
	if err != nil {
		k.journal = nil // read again: the head may have changed
		k.deleteChunks(context.WithoutCancel(ctx), chunks)
		return err
	}
	k.journal = written
	return nil
}

// writeHead creates head, or updates it at its resourceVersion when it
// exists.
func (k *Kubernetes) writeHead(ctx context.Context, head *v1.Secret, exists bool) (*v1.Secret, error) {
	if exists {
		return k.c.secrets.Update(ctx, head, metav1.UpdateOptions{})
	}
	return k.c.secrets.Create(ctx, head, metav1.CreateOptions{})
}

// GetJournal reads the journal: its chunks in order, then its tail.
func (k *Kubernetes) GetJournal(ctx context.Context) ([]byte, bool, error) {
	k.jmu.Lock()
	defer k.jmu.Unlock()
	for try := 1; ; try++ {
		head, err := k.getHead(ctx, k.journalName(), roleJournal)
		if err != nil {
			k.journal = nil
			return nil, false, fmt.Errorf("reading the intent journal %s: %w", k.JournalLocation(), err)
		}
		k.journal = head
		if head == nil {
			return nil, false, nil
		}
		data, err := k.readChunks(ctx, chunkNames(head))
		if errors.Is(err, errChunkGone) && try < readTries {
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("reading the intent journal %s: %w", k.JournalLocation(), err)
		}
		return slices.Concat(data, head.Data[keyTail]), true, nil
	}
}

// PutJournal replaces the journal with data, or deletes it when data is
// empty: one write (or delete) of the head, at the resourceVersion read
// just before; the chunks it no longer lists are deleted after.
func (k *Kubernetes) PutJournal(ctx context.Context, data []byte) error {
	k.jmu.Lock()
	defer k.jmu.Unlock()
	k.journal = nil
	if err := k.putJournal(ctx, data); err != nil {
		return fmt.Errorf("writing the intent journal %s: %w", k.JournalLocation(), err)
	}
	return nil
}

// putJournal is PutJournal. Call with jmu held.
func (k *Kubernetes) putJournal(ctx context.Context, data []byte) error {
	old, err := k.getHead(ctx, k.journalName(), roleJournal)
	if err != nil {
		return err
	}
	if len(data) == 0 {
		if old != nil {
			err := k.c.secrets.Delete(ctx, old.Name, metav1.DeleteOptions{
				Preconditions: &metav1.Preconditions{UID: &old.UID, ResourceVersion: &old.ResourceVersion},
			})
			if err != nil && !apierrors.IsNotFound(err) {
				return err
			}
		}
		k.sweepChunks(ctx, roleJournalChunk, nil)
		return nil
	}
	head := k.newJournalHead()
	base := ""
	if old != nil {
		base = old.ResourceVersion
		head.ResourceVersion = old.ResourceVersion
	}
	var chunks []string
	if len(data) > journalTailSize {
		if chunks, err = k.writeChunks(ctx, k.journalName(), roleJournalChunk, base, data); err != nil {
			return err
		}
		setChunkNames(head, chunks)
		data = nil
	}
	head.Data[keyTail] = data
	written, err := k.writeHead(ctx, head, old != nil)
	if err != nil {
		k.deleteChunks(context.WithoutCancel(ctx), chunks)
		return err
	}
	k.journal = written
	k.sweepChunks(ctx, roleJournalChunk, written)
	return nil
}
