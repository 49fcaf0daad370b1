package s3

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3api "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The intent journal is a series of objects under KEY.journal/, numbered
// in the order they were written (20 digits, so that names sort as
// numbers):
//
//   - AppendJournal writes the next number, NNN, holding the records
//     appended: one PUT, durable when it returns, and atomic, so an
//     append cut short leaves no torn record. It is created with
//     If-None-Match: *, so two appenders never overwrite each other.
//   - PutJournal writes the next number as a base, NNN.base, holding the
//     whole new journal, then deletes the objects before it.
//   - The journal is the last base and the objects after it, in order;
//     objects before the last base are ignored, so a PutJournal cut short
//     between its write and its deletes has replaced the journal all the
//     same. An empty journal (an empty base and nothing after) is none.
//
// S3 has no append: numbered objects cost an append one small PUT,
// whatever the journal's length, where rewriting one object would upload
// the whole journal at every append.

// journalDigits is the width of the objects' numbers.
const journalDigits = 20

func (b *S3) journalPrefix() string { return b.key + ".journal/" }

// JournalLocation names the journal's objects.
func (b *S3) JournalLocation() string { return b.location(b.journalPrefix()) }

// journalObject is one object of the journal.
type journalObject struct {
	key  string
	seq  uint64
	base bool
}

func (b *S3) journalKey(seq uint64, base bool) string {
	k := fmt.Sprintf("%s%0*d", b.journalPrefix(), journalDigits, seq)
	if base {
		k += ".base"
	}
	return k
}

// parseJournalKey reads the number of a journal object from its key; ok
// is false for any other object.
func (b *S3) parseJournalKey(key string) (journalObject, bool) {
	name, ok := strings.CutPrefix(key, b.journalPrefix())
	if !ok {
		return journalObject{}, false
	}
	digits, base := strings.CutSuffix(name, ".base")
	if len(digits) != journalDigits {
		return journalObject{}, false
	}
	seq, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return journalObject{}, false
	}
	return journalObject{key: key, seq: seq, base: base}, true
}

// listJournal lists the journal's objects in order.
func (b *S3) listJournal(ctx context.Context) ([]journalObject, error) {
	keys, err := b.listKeys(ctx, b.journalPrefix())
	if err != nil {
		return nil, err
	}
	var objs []journalObject
	for _, k := range keys {
		if o, ok := b.parseJournalKey(k); ok {
			objs = append(objs, o)
		}
	}
	slices.SortFunc(objs, func(a, b journalObject) int { return cmp.Compare(a.seq, b.seq) })
	return objs, nil
}

// nextSeq is the number after the last of objs.
func nextSeq(objs []journalObject) uint64 {
	if len(objs) == 0 {
		return 1
	}
	return objs[len(objs)-1].seq + 1
}

// appendAttempts bounds the numbers one append tries before it gives up
// on a journal that other berths keep appending to.
const appendAttempts = 30

// sleepCtx waits d, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// AppendJournal writes data as the journal's next object.
func (b *S3) AppendJournal(ctx context.Context, data []byte) error {
	b.jmu.Lock()
	defer b.jmu.Unlock()
	for attempt := range appendAttempts {
		if attempt > 0 {
			// Two appenders that list and write in step would take the
			// same number every time: wait a random while, growing.
			if err := sleepCtx(ctx, time.Duration(rand.Int64N(int64(attempt)*int64(20*time.Millisecond)))); err != nil {
				return fmt.Errorf("writing the intent journal %s: %w", b.JournalLocation(), err)
			}
		}
		if !b.jknown {
			objs, err := b.listJournal(ctx)
			if err != nil {
				return fmt.Errorf("writing the intent journal %s: %w", b.JournalLocation(), err)
			}
			b.jnext, b.jknown = nextSeq(objs), true
		}
		key := b.journalKey(b.jnext, false)
		_, err := b.putObject(ctx, key, data, absent)
		if err == nil || conditionFailed(err) && b.sameObject(ctx, key, data) {
			b.jnext++
			return nil
		}
		if !conditionFailed(err) {
			return fmt.Errorf("writing the intent journal %s: %w", b.JournalLocation(), err)
		}
		b.jknown = false // another appender took the number: list again
	}
	return fmt.Errorf("writing the intent journal %s: other berths keep appending to it", b.JournalLocation())
}

// sameObject reports whether the object at key holds data: the write of
// it whose answer was lost, and whose retry was refused as it existed.
func (b *S3) sameObject(ctx context.Context, key string, data []byte) bool {
	obj, found, err := b.getObject(ctx, key)
	return err == nil && found && bytes.Equal(obj.data, data)
}

// GetJournal reads the last base and the objects after it, concatenated.
func (b *S3) GetJournal(ctx context.Context) ([]byte, bool, error) {
	b.jmu.Lock()
	defer b.jmu.Unlock()
	for range 3 {
		objs, err := b.listJournal(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("reading the intent journal %s: %w", b.JournalLocation(), err)
		}
		b.jnext, b.jknown = nextSeq(objs), true
		from := 0
		for i, o := range objs {
			if o.base {
				from = i
			}
		}
		data, complete, err := b.getAll(ctx, objs[from:])
		if err != nil {
			return nil, false, fmt.Errorf("reading the intent journal %s: %w", b.JournalLocation(), err)
		}
		if !complete {
			continue // replaced while read: read the new one
		}
		if len(data) == 0 {
			return nil, false, nil
		}
		return data, true, nil
	}
	return nil, false, fmt.Errorf("reading the intent journal %s: it keeps being replaced while read", b.JournalLocation())
}

// getAll reads objs concurrently and concatenates them in order;
// complete is false when one of them is gone.
func (b *S3) getAll(ctx context.Context, objs []journalObject) (data []byte, complete bool, err error) {
	parts := make([][]byte, len(objs))
	errs := make([]error, len(objs))
	gone := make([]bool, len(objs))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, o := range objs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			obj, found, err := b.getObject(ctx, o.key)
			parts[i], gone[i], errs[i] = obj.data, !found, err
		}()
	}
	wg.Wait()
	for i := range objs {
		if errs[i] != nil {
			return nil, false, errs[i]
		}
		if gone[i] {
			return nil, false, nil
		}
		data = append(data, parts[i]...)
	}
	return data, true, nil
}

// PutJournal writes data as a new base, then deletes the objects before
// it; empty data removes the journal (the empty base last).
func (b *S3) PutJournal(ctx context.Context, data []byte) error {
	b.jmu.Lock()
	defer b.jmu.Unlock()
	fail := func(err error) error {
		b.jknown = false
		return fmt.Errorf("writing the intent journal %s: %w", b.JournalLocation(), err)
	}
	for range 5 {
		objs, err := b.listJournal(ctx)
		if err != nil {
			return fail(err)
		}
		if len(objs) == 0 && len(data) == 0 {
			b.jnext, b.jknown = 1, true
			return nil
		}
		seq := nextSeq(objs)
		base := b.journalKey(seq, true)
		_, err = b.putObject(ctx, base, data, absent)
		if conditionFailed(err) && !b.sameObject(ctx, base, data) {
			continue // another writer took the number: list again
		}
		if err != nil && !conditionFailed(err) {
			return fail(err)
		}
		// Replaced: what is before the base is no longer the journal. An
		// empty base goes last, once nothing before it can reappear.
		keys := make([]string, 0, len(objs))
		for _, o := range objs {
			keys = append(keys, o.key)
		}
		if err := b.deleteKeys(ctx, keys); err != nil {
			return fail(fmt.Errorf("replaced, but removing the replaced objects failed (they are ignored, and removed at the next replacement): %w", err))
		}
		if len(data) == 0 {
			if err := b.deleteKeys(ctx, []string{base}); err != nil {
				return fail(fmt.Errorf("emptied, but removing its last object failed: %w", err))
			}
		}
		b.jnext, b.jknown = seq+1, true
		return nil
	}
	return fail(fmt.Errorf("other berths keep writing it"))
}

// listKeys lists the keys of the objects under prefix.
func (b *S3) listKeys(ctx context.Context, prefix string) ([]string, error) {
	api, err := b.client.get(ctx)
	if err != nil {
		return nil, err
	}
	var keys []string
	p := s3api.NewListObjectsV2Paginator(api, &s3api.ListObjectsV2Input{Bucket: aws.String(b.cfg.Bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}

// deleteKeys deletes the objects at keys, a thousand (S3's limit) per
// request.
func (b *S3) deleteKeys(ctx context.Context, keys []string) error {
	api, err := b.client.get(ctx)
	if err != nil {
		return err
	}
	for chunk := range slices.Chunk(keys, 1000) {
		ids := make([]types.ObjectIdentifier, len(chunk))
		for i, k := range chunk {
			ids[i] = types.ObjectIdentifier{Key: aws.String(k)}
		}
		out, err := api.DeleteObjects(ctx, &s3api.DeleteObjectsInput{
			Bucket: aws.String(b.cfg.Bucket),
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return err
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return fmt.Errorf("deleting %s: %s: %s", aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message))
		}
	}
	return nil
}
